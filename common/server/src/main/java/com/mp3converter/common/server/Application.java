package com.mp3converter.common.server;

import java.util.Map;
import java.util.function.BooleanSupplier;

import io.helidon.webserver.http.HttpRouting;

/**
 * One service as {@link ServiceServer} runs it: its routes, its readiness checks, the background work it starts
 * (consumers, relays; started after the server so health answers at once) and what it closes on SIGTERM.
 */
public interface Application extends AutoCloseable {
    /** The service's name: logs, metrics, traces. */
    String name();

    /** The service's own routes; the health, metrics and error handling are added around them. */
    default void routing(HttpRouting.Builder rules) {
    }

    /** Named readiness checks: the service takes no traffic while one is false. */
    default Map<String, BooleanSupplier> readiness() {
        return Map.of();
    }

    /** Facts an operator should see in the health details (e.g. which encoder runs); evaluated at each check. */
    default Map<String, String> details() {
        return Map.of();
    }

    /** Starts the background work; it must not fail when a backend is down (retry in the background instead). */
    default void start() {
    }

    /** Stops the background work, finishing what is in flight where the service promises to. */
    @Override
    default void close() {
    }
}
