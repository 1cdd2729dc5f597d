package com.mp3converter.common.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

import io.helidon.webserver.WebServer;

/**
 * The training run for an ahead-of-time cache ({@code -XX:AOTCacheOutput}, at image build time, without backends):
 * the service has started; it now answers a few requests of each kind to itself, so the classes that serving loads
 * are in the cache too, and exits.
 */
final class AotTraining {
    private static final Logger LOG = Logger.getLogger(AotTraining.class.getName());

    private AotTraining() {
    }

    static void run(WebServer server) {
        int port = server.port();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (int round = 0; round < 3; round++) {
                for (String path : List.of("/health/live", "/health/ready", "/metrics", "/openapi", "/no-such-path")) {
                    try {
                        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                    } catch (Exception e) {
                        LOG.fine(() -> "training request " + path + ": " + e);
                    }
                }
            }
        }
        LOG.info("AOT training run done; exiting so the JVM writes its cache");
        System.exit(0);
    }
}
