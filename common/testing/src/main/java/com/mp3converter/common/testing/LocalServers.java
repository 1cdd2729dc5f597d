package com.mp3converter.common.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Where the real servers of the local stack are, for tests: environment variables first, then the
 * {@code .local/env} file that {@code ./mp3converter up} writes. Tests fail with a clear message when
 * neither exists; they never fall back to fakes.
 */
public final class LocalServers {
    private static final Map<String, String> SETTINGS = load();

    private LocalServers() {
    }

    private static Map<String, String> load() {
        Map<String, String> settings = new HashMap<>();
        Path file = repoRoot().resolve(".local/env");
        if (Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file)) {
                    int eq = line.indexOf('=');
                    if (eq > 0 && !line.startsWith("#")) {
                        settings.put(line.substring(0, eq), line.substring(eq + 1));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file, e);
            }
        }
        System.getenv().forEach((k, v) -> {
            if (settings.containsKey(k) || k.equals("SERVER_HOST") || k.startsWith("DB_") || k.startsWith("RABBITMQ_") || k.startsWith("MONGO_")
                    || k.startsWith("SMTP_") || k.startsWith("GREENMAIL_")) {
                settings.put(k, v);
            }
        });
        return settings;
    }

    public static Path repoRoot() {
        return Path.of(System.getProperty("repo.root", ".")).toAbsolutePath().normalize();
    }

    /** A setting the local stack provides; fails the test with what to do when it is missing. */
    public static String get(String name) {
        String value = SETTINGS.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException(name + " is not set and .local/env has no value for it: start the local "
                    + "stack with ./mp3converter up --infra (or run ./mp3converter test)");
        }
        return value;
    }

    /** Config overrides pointing a service at the local stack's RabbitMQ and MongoDB. */
    public static Map<String, String> streamAndMongoConfig(String suffix) {
        Map<String, String> config = new HashMap<>();
        config.put("rabbitmq.host", get("RABBITMQ_HOST"));
        config.put("rabbitmq.stream-port", get("RABBITMQ_STREAM_PORT"));
        config.put("rabbitmq.username", get("RABBITMQ_USERNAME"));
        config.put("rabbitmq.password", get("RABBITMQ_PASSWORD"));
        config.put("streams.videos.name", "test.videos." + suffix);
        config.put("streams.job-events.name", "test.job-events." + suffix);
        config.put("streams.notifications.name", "test.notifications." + suffix);
        config.put("streams.max-age", "PT1H");
        config.put("mongo.uri", get("MONGO_URI"));
        config.put("mongo.database", "test_" + suffix);
        return config;
    }

    /** A short unique suffix for names that must not collide between test runs. */
    public static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
