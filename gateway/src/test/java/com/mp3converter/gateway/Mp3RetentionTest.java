package com.mp3converter.gateway;

import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Map;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** MP3s older than the retention are deleted and their jobs say so; younger ones stay (local stack's MongoDB endpoint). */
class Mp3RetentionTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private MongoConnection mongo;
    private JobStore jobs;

    @BeforeEach
    void connect() {
        mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "retention_" + LocalServers.unique());
        jobs = new JobStore(mongo, CLOCK, Duration.ofSeconds(30));
        jobs.createIndexes();
    }

    @AfterEach
    void dropTheDatabase() {
        mongo.database().drop();
        mongo.close();
    }

    @Test
    void deletesOnlyExpiredMp3s() {
        String old = doneJob(mongo, NOW.minus(Duration.ofDays(8)));
        String recent = doneJob(mongo, NOW.minus(Duration.ofDays(1)));
        ObjectId oldFile = new ObjectId(jobs.find(old).orElseThrow().mp3().fileId());

        int deleted = new Mp3Retention(jobs, mongo, Duration.ofDays(7), CLOCK).run();

        assertThat(deleted, is(1));
        assertThat(mongo.mp3s().find(new Document("_id", oldFile)).first(), nullValue());
        assertThat(jobs.find(old).orElseThrow().mp3ExpiredAt(), is(NOW));
        assertThat(jobs.find(recent).orElseThrow().mp3ExpiredAt(), nullValue());
        ObjectId recentFile = new ObjectId(jobs.find(recent).orElseThrow().mp3().fileId());
        assertThat(mongo.mp3s().find(new Document("_id", recentFile)).first(), notNullValue());
        assertThat(new Mp3Retention(jobs, mongo, Duration.ofDays(7), CLOCK).run(), is(0));
    }

    @Test
    void onePassDeletesEveryExpiredMp3NotOnlyTheFirstBatch() {
        int expired = 501; // one more than a batch
        for (int i = 0; i < expired; i++) {
            doneJob(mongo, NOW.minus(Duration.ofDays(8)));
        }

        assertThat(new Mp3Retention(jobs, mongo, Duration.ofDays(7), CLOCK).run(), is(expired));
        assertThat(mongo.mp3s().find().first(), nullValue());
    }

    private static String doneJob(MongoConnection mongo, Instant finished) {
        ObjectId file = mongo.mp3s().uploadFromStream("x.mp3", new ByteArrayInputStream(new byte[1000]));
        String id = java.util.UUID.randomUUID().toString();
        new JobStore(mongo, Clock.systemUTC(), Duration.ofSeconds(30)).insert(Job.uploaded(id, new Events.Owner("u", "u@example.com"), "x.mp4", 10,
                null, Events.Options.DEFAULT, Map.of(), finished));
        mongo.database().getCollection("jobs").updateOne(new Document("_id", id), new Document("$set",
                new Document("state", "DONE").append("finishedAt", Date.from(finished))
                        .append("mp3", new Document("fileId", file.toHexString()).append("bytes", 1000).append("durationSeconds", 1.0))));
        return id;
    }
}
