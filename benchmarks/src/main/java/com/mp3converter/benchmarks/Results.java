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
 * measured and merged with what earlier parts wrote, so one part can be run alone. A section ({@link #within})
 * keeps a part's keys under one name (bench soak: "fresh", "soak", "after_soak").
 */
final class Results {
    private final Path file;
    private final String section;

    Results(Path root) {
        this(root.resolve("benchmarks/results/latest.json"), null);
    }

    private Results(Path file, String section) {
        this.file = file;
        this.section = section;
    }

    /** The same file, with keys written under {@code name}. */
    Results within(String name) {
        return new Results(file, section == null ? name : section + "." + name);
    }

    Path file() {
        return file;
    }

    void put(String key, Object value) throws IOException {
        synchronized (Results.class) {
            ObjectNode all = Files.isRegularFile(file) ? (ObjectNode) Json.MAPPER.readTree(file.toFile())
                    : Json.MAPPER.createObjectNode();
            ObjectNode target = all;
            if (section != null) {
                for (String name : section.split("\\.")) {
                    target = target.withObjectProperty(name);
                }
            }
            target.set(key, Json.MAPPER.valueToTree(value instanceof Stats s ? s.json() : value));
            Files.createDirectories(file.getParent());
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), all);
            System.out.println("=> " + (section == null ? "" : section + ".") + key + " = "
                    + Json.MAPPER.writeValueAsString(target.get(key)));
        }
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
