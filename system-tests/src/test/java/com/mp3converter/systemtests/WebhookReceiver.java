package com.mp3converter.systemtests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpServer;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

/** A webhook receiver on loopback that answers as planned (200 once the plan is used up). */
final class WebhookReceiver {
    /** What the receiver got, with the status it answered. */
    record Received(Map<String, List<String>> headers, String body, int answered) {
        String header(String name) {
            return headers.get(name).getFirst();
        }
    }

    private final HttpServer server;
    private final Deque<Integer> plan = new ConcurrentLinkedDeque<>();
    private volatile Duration hold = Duration.ZERO;
    private volatile Duration quietAfterHeaders = Duration.ZERO;
    final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    static WebhookReceiver start(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        WebhookReceiver receiver = new WebhookReceiver(server);
        server.createContext("/hook", exchange -> {
            Integer planned = receiver.plan.poll();
            Duration wait = receiver.hold;
            receiver.hold = Duration.ZERO;
            receiver.arrivals.add(System.nanoTime());
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = planned == null ? 200 : planned;
            Map<String, List<String>> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
            Duration quiet = receiver.quietAfterHeaders;
            if (!quiet.isZero()) { // the headers promise a body that never comes
                exchange.sendResponseHeaders(status, 1000);
                exchange.getResponseBody().flush();
                try {
                    Thread.sleep(quiet.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            receiver.received.add(new Received(headers, new String(body, StandardCharsets.UTF_8), status));
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return receiver;
    }

    void plan(int... statuses) {
        for (int status : statuses) {
            plan.add(status);
        }
    }

    void hold(Duration duration) {
        hold = duration;
    }

    /** From now on answers with headers, then nothing for this long (zero: answers normally again). */
    void quietAfterHeaders(Duration duration) {
        quietAfterHeaders = duration;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The receiver as an entry of the mailer's allow-list: this address and port, any path. */
    String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    String url() {
        return "http://127.0.0.1:" + port() + "/hook";
    }

    Received await(Predicate<Received> wanted, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            for (Received r : received) {
                if (wanted.test(r)) {
                    return r;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the receiver did not get what was awaited within " + timeout + "; it got " + received);
    }

    /** Waits for requests to arrive, answered or not yet. */
    void awaitArrivals(int count, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (arrivals.size() < count && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat("requests arrived", arrivals.size(), greaterThanOrEqualTo(count));
    }

    void stop() {
        server.stop(0);
    }
}
