package com.mp3converter.common.mongo;

import java.util.concurrent.TimeUnit;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoConnectionPoolClearedException;
import com.mongodb.MongoException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSBuckets;

import io.helidon.config.Config;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;

import org.bson.Document;

/** The process's one MongoDB client, with short timeouts so an outage shows as a clear 503, not a hang. */
public final class MongoConnection implements AutoCloseable {
    public static final String VIDEOS_BUCKET = "videos";
    public static final String MP3_BUCKET = "mp3s";
    /**
     * GridFS chunks fetched per round trip when reading a file: a few MiB, well under every server's reply
     * limit (the mongo-java-server stand-in would otherwise answer a whole file in one oversized reply).
     */
    public static final int CHUNKS_PER_BATCH = 8;

    private final MongoClient client;
    private final MongoDatabase database;
    private final GridFSBucket videos;
    private final GridFSBucket mp3s;

    public MongoConnection(String uri, String databaseName) {
        MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(uri))
                .applyToClusterSettings(c -> c.serverSelectionTimeout(5, TimeUnit.SECONDS))
                .applyToSocketSettings(s -> s.connectTimeout(3, TimeUnit.SECONDS).readTimeout(30, TimeUnit.SECONDS))
                .addCommandListener(new MongoTracing())
                .build();
        this.client = MongoClients.create(settings);
        this.database = client.getDatabase(databaseName);
        this.videos = GridFSBuckets.create(database, VIDEOS_BUCKET);
        this.mp3s = GridFSBuckets.create(database, MP3_BUCKET);
    }

    /** A span's attributes for a whole-file GridFS read or write (the stable database conventions). */
    public static Attributes gridFsSpan(String bucket, String operation) {
        return Attributes.of(AttributeKey.stringKey("db.system.name"), "mongodb",
                AttributeKey.stringKey("db.collection.name"), bucket + ".files",
                AttributeKey.stringKey("db.operation.name"), operation);
    }

    /** From {@code mongo.uri} and {@code mongo.database} (defaults: this library's mp3converter-defaults.yaml). */
    public static MongoConnection from(Config config) {
        return new MongoConnection(config.get("mongo.uri").asString().get(), config.get("mongo.database").asString().get());
    }

    public MongoDatabase database() {
        return database;
    }

    public GridFSBucket videos() {
        return videos;
    }

    public GridFSBucket mp3s() {
        return mp3s;
    }

    /** True when the server answers a ping now. */
    public boolean reachable() {
        try {
            database.runCommand(new Document("ping", 1));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * True when the failure means the server cannot be reached now (answer 503, retry later), not a bad request.
     * An operation waiting for a connection when another one's failed is told the pool was cleared.
     */
    public static boolean unreachable(MongoException e) {
        return e instanceof MongoTimeoutException || e instanceof MongoSocketException
                || e instanceof MongoConnectionPoolClearedException;
    }

    @Override
    public void close() {
        client.close();
    }
}
