package com.mp3converter.common.mongo;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.mp3converter.common.testing.LocalServers;

import org.bson.Document;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Check-then-write under one turn per key, against the local stack's MongoDB endpoint. */
class AdmissionsTest {
    @Test
    void requestsOfOneKeyTakeTurnsSoACountedLimitHolds() throws Exception {
        try (MongoConnection mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "admissions_" + LocalServers.unique())) {
            Admissions admissions = new Admissions(mongo.database().getCollection("locks"), Duration.ofSeconds(10),
                    Duration.ofSeconds(20), Clock.systemUTC());
            var records = mongo.database().getCollection("records");
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger admitted = new AtomicInteger();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    all.add(pool.submit(() -> {
                        go.await();
                        return admissions.exclusively("user-1", () -> {
                            if (records.countDocuments(new Document("owner", "user-1")) < 5) { // the limit: 5
                                records.insertOne(new Document("owner", "user-1"));
                                admitted.incrementAndGet();
                            }
                            return null;
                        });
                    }));
                }
                go.countDown();
                for (Future<?> each : all) {
                    each.get();
                }
            }
            assertThat(admitted.get(), is(5));
            assertThat(records.countDocuments(), is(5L));
            assertThat("no turn is left held", mongo.database().getCollection("locks").countDocuments(), is(0L));
            mongo.database().drop();
        }
    }

    @Test
    void aRequestThatWaitsTooLongIsToldSo() {
        try (MongoConnection mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "admissions_" + LocalServers.unique())) {
            Admissions admissions = new Admissions(mongo.database().getCollection("locks"), Duration.ofSeconds(10),
                    Duration.ofMillis(200), Clock.systemUTC());
            admissions.exclusively("user-1", () -> assertThrows(Admissions.Busy.class,
                    () -> admissions.exclusively("user-1", () -> null)));
            assertThat("another key is not held", admissions.exclusively("user-2", () -> 7), is(7));
            mongo.database().drop();
        }
    }
}
