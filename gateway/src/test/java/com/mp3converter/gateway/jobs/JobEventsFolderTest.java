package com.mp3converter.gateway.jobs;

import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.testing.LocalServers;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The stored fold against the local stack's MongoDB endpoint: the job, its files and its notice stay in step. */
class JobEventsFolderTest {
    private MongoConnection mongo;
    private JobStore jobs;
    private int ended;
    private JobEventsFolder folder;

    @BeforeEach
    void start() {
        mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "fold_" + LocalServers.unique());
        jobs = new JobStore(mongo, Clock.systemUTC(), Duration.ofSeconds(30));
        folder = new JobEventsFolder(jobs, mongo, () -> ended++);
    }

    @AfterEach
    void stop() {
        mongo.database().drop();
        mongo.close();
    }

    @Test
    void doneDeletesTheVideoAndLeavesTheNoticePendingOnce() {
        ObjectId video = mongo.videos().uploadFromStream("a.mp4", new ByteArrayInputStream(new byte[100]));
        Job job = insert(video.toHexString());
        ObjectId mp3 = mongo.mp3s().uploadFromStream("a.mp3", new ByteArrayInputStream(new byte[10]));
        EventMessage done = done(job.id(), mp3);
        folder.handle(done, "s", 3);
        folder.handle(done, "s", 3);
        Job stored = jobs.find(job.id()).orElseThrow();
        assertThat(stored.state(), is(JobState.DONE));
        assertThat(stored.mp3().fileId(), is(mp3.toHexString()));
        assertThat("the source video is deleted", mongo.videos().find(new Document("_id", video)).first(), nullValue());
        assertThat("the MP3 stays", mongo.mp3s().find(new Document("_id", mp3)).first(), notNullValue());
        assertThat(ended, is(1));
        assertThat(jobs.outbox(JobStore.Outbox.NOTICE).pending(10).size(), is(1));
    }

    @Test
    void anMp3WhoseJobIsGoneOrFailedIsRemoved() {
        ObjectId orphan = mongo.mp3s().uploadFromStream("gone.mp3", new ByteArrayInputStream(new byte[10]));
        folder.handle(done("no-such-job", orphan), "s", 0);
        assertThat(mongo.mp3s().find(new Document("_id", orphan)).first(), nullValue());

        Job failed = insert(null);
        folder.handle(EventMessage.of(Events.CONVERSION_FAILED, failed.id(), 1, new Events.ConversionFailed(failed.id(), 1,
                new Events.Reason("corrupt", "damaged"), Instant.now()), Map.of()), "s", 1);
        ObjectId late = mongo.mp3s().uploadFromStream("late.mp3", new ByteArrayInputStream(new byte[10]));
        folder.handle(done(failed.id(), late), "s", 2);
        assertThat(jobs.find(failed.id()).orElseThrow().state(), is(JobState.FAILED));
        assertThat(mongo.mp3s().find(new Document("_id", late)).first(), nullValue());
    }

    private Job insert(String videoFileId) {
        Job job = Job.uploaded(java.util.UUID.randomUUID().toString(), new Events.Owner("u", "u@example.com"), "a.mp4", 100,
                videoFileId, Events.Options.DEFAULT, Map.of(), Instant.now());
        jobs.insert(job);
        return job;
    }

    private static EventMessage done(String jobId, ObjectId mp3) {
        return EventMessage.of(Events.CONVERSION_DONE, jobId, 1, new Events.ConversionDone(jobId, 1, mp3.toHexString(), 10,
                1.0, 44_100, 2, false, 0.5, Instant.now(), java.util.List.of()), Map.of());
    }
}
