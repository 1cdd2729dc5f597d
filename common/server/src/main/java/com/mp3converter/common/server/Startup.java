package com.mp3converter.common.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.logging.Logger;

/** Start-up work that must not stop a service from starting when a backend is down: retried in the background. */
public final class Startup {
    private static final Logger LOG = Logger.getLogger(Startup.class.getName());

    /** A step that may fail while a backend is down. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private Startup() {
    }

    /** Runs {@code step} on a virtual thread until it succeeds, backing off to 10 s, warning every tenth failure. */
    public static void retryInBackground(String name, Step step) {
        Thread.ofVirtual().name(name).start(() -> {
            Backoff backoff = Backoff.exponential(Duration.ofMillis(500), Duration.ofSeconds(10));
            for (int attempt = 0; ; attempt++) {
                try {
                    step.run();
                    return;
                } catch (Exception e) {
                    if (attempt % 10 == 0) {
                        LOG.warning(name + ": a backend is not ready (" + e.getMessage() + "); retrying");
                    }
                    if (!backoff.pause()) {
                        return;
                    }
                }
            }
        });
    }

    /** This pod's or machine's name: the default for per-replica names. */
    public static String hostName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "local";
            }
        }
        return host;
    }
}
