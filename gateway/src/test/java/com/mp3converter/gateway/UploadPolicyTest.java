package com.mp3converter.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.mongo.Admissions;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a user may upload, against the local stack's MongoDB endpoint: size limit, quota, jobs in flight (the options: UploadPolicyOptionsTest). */
class UploadPolicyTest {
    private static final long MAX_BYTES = 1000;
    private static final long QUOTA = 2500;
    private static final int IN_FLIGHT = 3;
    private static final Events.Owner OWNER = new Events.Owner("user-1", "u@example.com");
    private MongoConnection mongo;
    private JobStore jobs;
    private ResumableUploads uploads;
    private UploadPolicy policy;

    @BeforeEach
    void store() {
        mongo = new MongoConnection(LocalServers.get("MONGO_URI"), "policy_" + LocalServers.unique());
        jobs = new JobStore(mongo, Clock.systemUTC(), Duration.ofSeconds(30));
        uploads = new ResumableUploads(mongo, Clock.systemUTC(), Duration.ofHours(24), Duration.ofMinutes(1),
                () -> java.util.UUID.randomUUID().toString());
        policy = new UploadPolicy(new UploadPolicy.Limits(MAX_BYTES, QUOTA, IN_FLIGHT), jobs, uploads::unfinishedBytes,
                uploads::unfinishedCount, new Admissions(mongo.database().getCollection("upload_admissions"),
                        Duration.ofSeconds(10), Duration.ofSeconds(5), Clock.systemUTC()));
    }

    @AfterEach
    void drop() {
        mongo.database().drop();
        mongo.close();
    }

    @Test
    void aFreshUserMayUploadUpToTheSizeLimit() {
        assertThat(policy.allowance(OWNER.userId(), 0).bytes(), is(MAX_BYTES));
        assertThat(policy.allowance(OWNER.userId(), MAX_BYTES).bytes(), is(MAX_BYTES));
        assertRefused(() -> policy.allowance(OWNER.userId(), MAX_BYTES + 1), 413, "larger than the limit of 1000 bytes");
    }

    @Test
    void storedVideosAndUnfinishedUploadsCountAgainstTheQuota() {
        job("a", 900, false);
        uploads.create("t1", OWNER, 800, "b.mp4", Events.Options.DEFAULT, null);
        assertThat("2500 - 900 - 800", policy.allowance(OWNER.userId(), 0).bytes(), is(800L));
        assertRefused(() -> policy.allowance(OWNER.userId(), 801), 413, "pass your quota of 2500 bytes");
        assertThat("another user's quota is their own", policy.allowance("user-2", MAX_BYTES).bytes(), is(MAX_BYTES));
    }

    @Test
    void aMultipartUploadStreamingInCountsLikeAnUnfinishedOne() {
        uploads.receiving("0123456789abcdef01234567", "job-x", OWNER, 2000);
        assertThat(policy.allowance(OWNER.userId(), 0).bytes(), is(500L));
    }

    @Test
    void jobsInFlightAndUnfinishedUploadsTogetherAreLimited() {
        job("a", 10, false);
        job("b", 10, true);
        uploads.receiving("0123456789abcdef01234567", "job-x", OWNER, 10);
        ProblemException refused = assertRefused(() -> policy.allowance(OWNER.userId(), 10), 429, "3 jobs queued or converting");
        assertThat(refused.headers().get("Retry-After"), is("30"));
    }

    @Test
    void anMp3BeingMadeCountsWhatItCanTakeUntilItIsStoredAndNothingOnceItFailed() {
        job("a", 100, true);
        reserve("a", 1500);
        assertThat("2500 - 100 - 1500 reserved", policy.allowance(OWNER.userId(), 0).bytes(), is(900L));
        mongo.database().getCollection("jobs").updateOne(new org.bson.Document("_id", "a"), new org.bson.Document("$set",
                new org.bson.Document("state", "DONE").append("videoFileId", null)
                        .append("mp3", new org.bson.Document("fileId", "m").append("bytes", 2000L))));
        assertThat("the MP3 as stored, not what was reserved", policy.allowance(OWNER.userId(), 0).bytes(), is(500L));
        job("b", 100, true);
        reserve("b", 300);
        assertThat(policy.allowance(OWNER.userId(), 0).bytes(), is(2500L - 2000 - 100 - 300));
        mongo.database().getCollection("jobs").updateOne(new org.bson.Document("_id", "b"),
                new org.bson.Document("$set", new org.bson.Document("state", "FAILED")));
        assertThat("a failed job's reservation is gone, its video still counts", policy.allowance(OWNER.userId(), 0).bytes(),
                is(2500L - 2000 - 100));
    }

    /** What the fold writes for a conversion.started that reports the MP3's bytes at most. */
    private void reserve(String id, long bytes) {
        mongo.database().getCollection("jobs").updateOne(new org.bson.Document("_id", id),
                new org.bson.Document("$set", new org.bson.Document("mp3Reserved", bytes)));
    }

    private void job(String id, long bytes, boolean converting) {
        jobs.insert(Job.uploaded(id, OWNER, id + ".mp4", bytes, "video-" + id, Events.Options.DEFAULT, Map.of(), Instant.now()));
        if (converting) {
            mongo.database().getCollection("jobs").updateOne(new org.bson.Document("_id", id),
                    new org.bson.Document("$set", new org.bson.Document("state", "PROCESSING")));
        }
    }

    private static ProblemException assertRefused(Runnable check, int status, String words) {
        ProblemException refused = assertThrows(ProblemException.class, check::run);
        assertThat(refused.problem().status(), is(status));
        assertThat(refused.problem().detail(), containsString(words));
        return refused;
    }
}
