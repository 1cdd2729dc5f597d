package com.mp3converter.mailer.webhooks;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.TcpProxy;
import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The webhook sender against a real receiver (the JDK's HTTP server) and the local stack's MongoDB endpoint. */
class WebhookSenderTest {
    private static final Duration LEASE = Duration.ofSeconds(5);

    @Test
    void aWebhookAcceptedWhileMongoDbWasAwayIsRecordedOnceItIsBackNotSentAgain() throws Exception {
        URI mongoUri = URI.create(LocalServers.get("MONGO_URI").replace("mongodb://", "http://"));
        String database = "webhooks_" + LocalServers.unique();
        AtomicInteger received = new AtomicInteger();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        try (TcpProxy mongoEndpoint = new TcpProxy(mongoUri.getHost(), mongoUri.getPort() < 0 ? 27017 : mongoUri.getPort());
             MongoConnection mongo = new MongoConnection("mongodb://127.0.0.1:" + mongoEndpoint.port(), database)) {
            receiver.createContext("/hook", exchange -> {
                if (received.incrementAndGet() == 1) { // MongoDB goes while the receiver takes the first delivery
                    mongoEndpoint.stop();
                    Thread.ofPlatform().start(() -> {
                        try {
                            Thread.sleep(7000); // past the driver's 5 s server selection and the lease
                            mongoEndpoint.start();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                }
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            receiver.start();
            String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
            WebhookStore store = new WebhookStore(mongo, LEASE, Clock.systemUTC());
            store.createIndexes();
            WebhookStore.Endpoint endpoint = store.create("u1", url, List.of(WebhookStore.JOB_DONE));
            WebhookSender sender = new WebhookSender(store, new WebhookTargets(url), new WebhookSender.Settings(
                    WebhookSender.Settings.schedule("PT1S"), Duration.ofSeconds(1), Duration.ofSeconds(3), LEASE,
                    Duration.ofHours(1)), "https://mp3converter.com", Clock.systemUTC());
            store.enqueue(endpoint, WebhookStore.JOB_DONE, "j1:" + WebhookStore.JOB_DONE, "j1", "{}");
            sender.start();
            try {
                Instant deadline = Instant.now().plusSeconds(30);
                while (!succeeded(store, endpoint) && Instant.now().isBefore(deadline)) {
                    Thread.sleep(200);
                }
                Thread.sleep(LEASE.plusSeconds(2).toMillis()); // long enough for a second delivery to come
                assertThat("delivered once, not again after the lease expired", received.get(), is(1));
                assertThat(succeeded(store, endpoint), is(true));
            } finally {
                sender.close();
                mongo.database().drop();
            }
        } finally {
            receiver.stop(0);
        }
    }

    private static boolean succeeded(WebhookStore store, WebhookStore.Endpoint endpoint) {
        try {
            return store.deliveries(endpoint.id(), 10).stream().anyMatch(d -> d.state() == WebhookStore.State.SUCCEEDED);
        } catch (RuntimeException e) {
            return false; // MongoDB away
        }
    }
}
