package com.mp3converter.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mp3converter.common.http.Json;

/**
 * benchmarks/results/latest.json (git-ignored): each key a median with its spread, written as soon as it is
 * measured and merged with what earlier parts wrote, so one part can be run alone.
 */
final class Results {
    private final Path file;

    Results(Path root) {
        this.file = root.resolve("benchmarks/results/latest.json");
    }

    Path file() {
        return file;
    }

    synchronized void put(String key, Object value) throws IOException {
        ObjectNode all = Files.isRegularFile(file) ? (ObjectNode) Json.MAPPER.readTree(file.toFile())
                : Json.MAPPER.createObjectNode();
        all.set(key, Json.MAPPER.valueToTree(value instanceof Stats s ? s.json() : value));
        Files.createDirectories(file.getParent());
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), all);
        System.out.println("=> " + key + " = " + Json.MAPPER.writeValueAsString(all.get(key)));
    }

    /** One value per name ({@code {"auth": {...}, "gateway": {...}}}). */
    static Map<String, Object> perService(Map<String, Stats> stats) {
        Map<String, Object> values = new LinkedHashMap<>();
        stats.forEach((service, s) -> values.put(service, s.json()));
        return values;
    }

    JsonNode read() throws IOException {
        return Files.isRegularFile(file) ? Json.MAPPER.readTree(file.toFile()) : Json.MAPPER.createObjectNode();
    }
}
