package com.mp3converter.common.mongo;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.TcpProxy;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/**
 * A MongoDB endpoint that goes away under a busy client: every failure the driver then throws must read as
 * "unreachable" (the gateway answers 503 and the caller retries), whichever way the connections and the waiters
 * for them find out.
 */
class MongoOutageTest {
    private static final int CALLERS = 16;
    private TcpProxy proxy;
    private String databaseName;
    private MongoConnection mongo;

    @BeforeEach
    void connect() throws Exception {
        URI target = URI.create(LocalServers.get("MONGO_URI").replace("mongodb://", "http://"));
        proxy = new TcpProxy(target.getHost(), target.getPort() < 0 ? 27017 : target.getPort());
        databaseName = "outage_" + LocalServers.unique();
        // a small pool, so callers queue for connections as a busy replica's requests do
        mongo = new MongoConnection("mongodb://127.0.0.1:" + proxy.port() + "/?maxPoolSize=2", databaseName);
        mongo.database().getCollection("jobs").insertOne(new Document("owner", "a"));
    }

    @AfterEach
    void close() {
        mongo.close();
        proxy.close();
        try (MongoConnection direct = new MongoConnection(LocalServers.get("MONGO_URI"), databaseName)) {
            direct.database().drop();
        }
    }

    @Test
    void everyFailureWhileTheEndpointIsGoneReadsAsUnreachable() throws Exception {
        MongoCollection<Document> jobs = mongo.database().getCollection("jobs");
        Map<String, String> notUnreachable = new ConcurrentHashMap<>();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger failures = new AtomicInteger();
        CountDownLatch busy = new CountDownLatch(CALLERS);
        Instant end = Instant.now().plusSeconds(8);
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CALLERS; i++) {
                callers.submit(() -> {
                    busy.countDown();
                    while (Instant.now().isBefore(end)) {
                        try {
                            jobs.find(Filters.eq("owner", "a")).first();
                            jobs.countDocuments(Filters.eq("owner", "a"));
                        } catch (MongoException e) {
                            failures.incrementAndGet();
                            seen.add(e.getClass().getSimpleName());
                            if (!MongoConnection.unreachable(e)) {
                                notUnreachable.put(e.getClass().getName(), String.valueOf(e.getMessage()));
                            }
                        }
                    }
                    return null;
                });
            }
            busy.await();
            Thread.sleep(300);
            proxy.stop();
        }
        assertThat("the outage was seen: " + seen, failures.get(), greaterThan(0));
        assertThat("failures not read as unreachable: " + new TreeMap<>(notUnreachable), notUnreachable.keySet(), is(empty()));
    }
}
