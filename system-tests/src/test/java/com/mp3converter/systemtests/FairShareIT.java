package com.mp3converter.systemtests;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.junit.jupiter.api.Test;

import static com.mp3converter.systemtests.Multipart.body;
import static com.mp3converter.systemtests.Multipart.filePart;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * Jobs take turns (#27 finding 3, #29): one user's many long jobs do not hold everyone else's behind them, and a
 * long job does not hold the jobs queued behind it in its partition. One transcoder, so every partition's queue is
 * real; the files are FLACs of silence (a few hundred KB for a quarter of an hour of sound).
 */
class FairShareIT {
    /** What B's job may wait beyond the longest of A's conversions: its own, the folds, the polling. */
    private static final Duration SLACK = Duration.ofSeconds(5);

    /**
     * A queues at least four 15-minute jobs in each of the three partitions, then B uploads one 1.2-second job. B's
     * job lands behind several of A's, yet it ends within the longest of A's conversions (the one converting in its
     * partition when it arrived) plus {@link #SLACK} after its upload: A's queued jobs go to the back of their
     * partition while A has a conversion running. Without turns, B waits for every A job ahead of it.
     */
    @Test
    void oneUsersManyLongJobsDoNotHoldAnotherUsersShortJob() throws Exception {
        // a conversion slot per partition: what is measured is the turns within a partition, not the wait for a
        // processor (with fewer slots than partitions, B may also wait for a slot: one more of A's conversions)
        try (Platform platform = Platform.start(Map.of("GATEWAY_QUOTA_MAX_DASH_JOBS_DASH_IN_DASH_FLIGHT", "40",
                "TRANSCODER_CONCURRENCY", "3"))) {
            StreamSettings streams = StreamSettings.from(ServiceServer.config(Map.of("streams.videos.name",
                    platform.env.get("STREAMS_VIDEOS_NAME"))));
            String a = platform.login(platform.newUser("many-long"));
            String b = platform.login(platform.newUser("one-short"));
            Path quarterHour = TestMedia.silentFlac(Duration.ofMinutes(15), true);
            Map<String, Integer> perPartition = new HashMap<>();
            List<String> aJobs = new ArrayList<>();
            while (perPartition.size() < 3 || perPartition.values().stream().anyMatch(n -> n < 4)) {
                String job = upload(platform, a, quarterHour);
                aJobs.add(job);
                perPartition.merge(streams.videoPartitionOf(job), 1, Integer::sum);
                assertThat("A's jobs spread over the partitions", aJobs.size(), lessThanOrEqualTo(30));
            }
            awaitConverting(platform, a, aJobs);
            Instant uploaded = Instant.now();
            String bJob = upload(platform, b, TestMedia.path(Sample.WAV_22K));
            JsonNode bDone = platform.awaitFinished(b, bJob, Duration.ofMinutes(10));
            Instant bEnded = Instant.parse(bDone.get("finishedAt").asText());
            Duration longestA = Duration.ZERO;
            int aheadOfB = 0;
            for (String job : aJobs) {
                JsonNode done = platform.awaitFinished(a, job, Duration.ofMinutes(10));
                assertThat(done.toString(), done.get("state").asText(), is("DONE"));
                Duration took = Duration.between(Instant.parse(done.get("startedAt").asText()),
                        Instant.parse(done.get("finishedAt").asText()));
                longestA = took.compareTo(longestA) > 0 ? took : longestA;
                if (streams.videoPartitionOf(job).equals(streams.videoPartitionOf(bJob))
                        && Instant.parse(done.get("finishedAt").asText()).isAfter(uploaded)) {
                    aheadOfB++;
                }
            }
            assertThat(bDone.get("state").asText(), is("DONE"));
            Duration waited = Duration.between(uploaded, bEnded);
            System.out.printf("FairShareIT: B's job waited %d ms behind %d of A's jobs in its partition; A's longest "
                    + "conversion %d ms, %d jobs of A%n", waited.toMillis(), aheadOfB, longestA.toMillis(), aJobs.size());
            assertThat("B's job (queued in its partition with " + aheadOfB + " of A's jobs not yet done) ended "
                    + waited.toMillis() + " ms after its upload; the longest of A's conversions took " + longestA.toMillis()
                    + " ms", waited, lessThan(longestA.plus(SLACK)));
        }
    }

    /**
     * One partition: a 5-minute job converts while a 10-minute job (long: over the 5 minutes set here) and then three
     * short ones are queued behind it. The long job goes to the back once, so the three end before it does; without
     * turns, they wait for it.
     */
    @Test
    void aLongJobDoesNotHoldTheJobsQueuedBehindIt() throws Exception {
        try (Platform platform = Platform.start(Map.of("STREAMS_VIDEOS_PARTITIONS", "1",
                "TRANSCODER_FAIR_DASH_SHARE_LONG_DASH_JOB", "PT5M"))) {
            String first = platform.login(platform.newUser("first"));
            String user = platform.login(platform.newUser("long-then-short"));
            String running = upload(platform, first, TestMedia.silentFlac(Duration.ofMinutes(5), true));
            awaitConverting(platform, first, List.of(running));
            String longJob = upload(platform, user, TestMedia.silentFlac(Duration.ofMinutes(10), true));
            List<String> shortJobs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                shortJobs.add(upload(platform, user, TestMedia.path(Sample.WAV_22K)));
            }
            assertThat("queued behind the first job", platform.job(first, running).get("state").asText(), is("PROCESSING"));
            Instant longEnded = Instant.parse(platform.awaitFinished(user, longJob, Duration.ofMinutes(10))
                    .get("finishedAt").asText());
            for (String job : shortJobs) {
                JsonNode done = platform.awaitFinished(user, job, Duration.ofMinutes(10));
                assertThat(done.get("state").asText(), is("DONE"));
                assertThat("a short job queued behind the long one ended before it", Instant.parse(
                        done.get("finishedAt").asText()), lessThan(longEnded));
            }
        }
    }

    /** Waits until one of these jobs is converting. */
    private static void awaitConverting(Platform platform, String token, List<String> jobs) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            for (String job : jobs) {
                if (platform.job(token, job).get("state").asText().equals("PROCESSING")) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("none of " + jobs + " started converting");
    }

    private static String upload(Platform platform, String token, Path file) throws Exception {
        String boundary = "b" + UUID.randomUUID();
        HttpResponse<String> accepted = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(boundary, filePart(file.getFileName().toString(),
                        Files.readAllBytes(file))))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.body(), accepted.statusCode(), is(202));
        return Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
    }
}
