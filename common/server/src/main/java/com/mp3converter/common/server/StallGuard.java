package com.mp3converter.common.server;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * Bounded waits for clients that stop sending. Helidon 4.5.0 reads without a timeout: a client that sends half its
 * headers, or a chunked body that stops, holds its connection (and, for an upload, a half-written file) for ever;
 * its idle sweep does not interrupt a request in progress. Here every HTTP/1.1 connection is watched: between
 * requests (idle, or receiving a request's head) for at most {@code idleTimeout}; while a handler reads a body
 * through {@link #reading(InputStream)}, for at most {@code bodyStallTimeout} without a byte. A connection over its
 * limit has its thread interrupted, which closes a virtual thread's socket: the read fails, the handler cleans up.
 * One guard per process ({@link #limits} sets its limits; the last call wins).
 */
public final class StallGuard {
    private static final Logger LOG = Logger.getLogger(StallGuard.class.getName());

    private enum Phase { WAITING, HANDLING, READING_BODY }

    private static final class Watch {
        private final Thread thread;
        private volatile Phase phase = Phase.WAITING;
        private volatile long since = System.nanoTime();

        Watch(Thread thread) {
            this.thread = thread;
        }

        void enter(Phase next) {
            since = System.nanoTime();
            phase = next;
        }
    }

    private static final Map<Thread, Watch> WATCHES = new ConcurrentHashMap<>();
    private static final Set<Thread> STOPPED = ConcurrentHashMap.newKeySet();
    private static volatile Duration idleTimeout = Duration.ofMinutes(5);
    private static volatile Duration bodyStallTimeout = Duration.ofMinutes(1);

    static {
        Thread.ofPlatform().name("stall-guard").daemon(true).start(StallGuard::sweep);
    }

    private StallGuard() {
    }

    /** The limits: between requests (idle or receiving a head), and without a byte of a body being read. */
    static void limits(Duration idle, Duration bodyStall) {
        idleTimeout = idle;
        bodyStallTimeout = bodyStall;
    }

    /** The HTTP/1.1 connections of a listener, watched. */
    static ServerConnectionSelector http1() {
        return new Selector(Http1ConnectionSelector.builder().config(Http1Config.create()).build());
    }

    /** Marks requests as in progress: a handler may take as long as it needs (a download, an event stream). */
    static Filter filter() {
        return new Filter() {
            @Override
            public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
                Watch watch = WATCHES.get(Thread.currentThread());
                if (watch != null) {
                    watch.enter(Phase.HANDLING);
                }
                try {
                    chain.proceed();
                } finally {
                    if (watch != null) {
                        watch.enter(Phase.WAITING);
                    }
                }
            }
        };
    }

    /**
     * A request body read under the stall limit: a read that waits longer than {@code bodyStallTimeout} for a byte
     * fails with {@link StalledException} (the socket is closed; the caller abandons what it was writing).
     */
    public static InputStream reading(InputStream body) {
        Watch watch = WATCHES.get(Thread.currentThread());
        if (watch == null) {
            return body;
        }
        return new FilterInputStream(body) {
            @Override
            public int read() throws IOException {
                watch.enter(Phase.READING_BODY);
                try {
                    return super.read();
                } catch (IOException | RuntimeException e) {
                    throw stalledOr(e);
                } finally {
                    watch.enter(Phase.HANDLING);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                watch.enter(Phase.READING_BODY);
                try {
                    return super.read(b, off, len);
                } catch (IOException | RuntimeException e) {
                    throw stalledOr(e);
                } finally {
                    watch.enter(Phase.HANDLING);
                }
            }
        };
    }

    /** The client sent nothing for longer than the limit while its request body was being read. */
    public static final class StalledException extends IOException {
        StalledException(Duration limit) {
            super("the client sent nothing for " + limit.toSeconds() + " s in the middle of its request");
        }
    }

    private static IOException stalledOr(Exception e) {
        if (STOPPED.remove(Thread.currentThread())) {
            Thread.interrupted(); // the interrupt was ours: clean up with a usable thread
            return new StalledException(bodyStallTimeout);
        }
        return e instanceof IOException io ? io : new IOException(e);
    }

    private static void sweep() {
        while (true) {
            Backoff.sleep(Duration.ofMillis(500));
            long now = System.nanoTime();
            for (Watch watch : WATCHES.values()) {
                Duration limit = switch (watch.phase) {
                    case WAITING -> idleTimeout;
                    case READING_BODY -> bodyStallTimeout;
                    case HANDLING -> null;
                };
                if (limit != null && now - watch.since > limit.toNanos() && STOPPED.add(watch.thread)) {
                    LOG.fine(() -> "closing a connection that sent nothing for " + limit + " (" + watch.phase + ")");
                    watch.thread.interrupt();
                }
            }
        }
    }

    private static final class Selector implements ServerConnectionSelector {
        private final Http1ConnectionSelector http1;

        Selector(Http1ConnectionSelector http1) {
            this.http1 = http1;
        }

        @Override
        public int bytesToIdentifyConnection() {
            return http1.bytesToIdentifyConnection();
        }

        @Override
        public Support supports(BufferData request) {
            return http1.supports(request);
        }

        @Override
        public Set<String> supportedApplicationProtocols() {
            return http1.supportedApplicationProtocols();
        }

        @Override
        public ServerConnection connection(ConnectionContext ctx) {
            ServerConnection connection = http1.connection(ctx);
            return new ServerConnection() {
                @Override
                public void handle(io.helidon.common.concurrency.limits.Limit limit) throws InterruptedException {
                    Thread me = Thread.currentThread();
                    WATCHES.put(me, new Watch(me));
                    try {
                        connection.handle(limit);
                    } finally {
                        WATCHES.remove(me);
                        STOPPED.remove(me);
                    }
                }

                @Override
                public Duration idleTime() {
                    return connection.idleTime();
                }

                @Override
                public void close(boolean interrupt) {
                    connection.close(interrupt);
                }
            };
        }
    }
}
