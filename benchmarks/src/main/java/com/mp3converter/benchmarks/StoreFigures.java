package com.mp3converter.benchmarks;

import java.util.Map;

import com.mongodb.client.MongoClient;

import org.bson.Document;

/**
 * The stand-in's data file and the live data in it, as its {@code dbStats} reports them: {@code fileSize} is the
 * whole store file (every database shares it), {@code dataSize} the BSON size of one database's documents.
 */
record StoreFigures(double fileMb, double liveMb) {

    static StoreFigures of(MongoClient client) {
        long file = 0;
        double live = 0;
        for (String name : client.listDatabaseNames()) {
            Document stats = client.getDatabase(name).runCommand(new Document("dbStats", 1));
            file = Math.max(file, ((Number) stats.getOrDefault("fileSize", 0)).longValue());
            live += ((Number) stats.getOrDefault("dataSize", 0)).doubleValue();
        }
        return new StoreFigures(file / 1048576.0, live / 1048576.0);
    }

    Map<String, Object> json() {
        return Map.of("file_mb", Stats.round(fileMb), "live_mb", Stats.round(liveMb));
    }

    @Override
    public String toString() {
        return String.format("data file %.0f MB, live data %.0f MB", fileMb, liveMb);
    }
}
