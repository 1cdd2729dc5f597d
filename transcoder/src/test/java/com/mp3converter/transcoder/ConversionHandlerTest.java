package com.mp3converter.transcoder;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.IdempotentGridFs;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.OffsetSpecification;

import io.helidon.config.Config;

import org.bson.BsonObjectId;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * The transcoder's handler against the local stack's MongoDB endpoint and RabbitMQ with the real converter: what
 * it reports on the job-events stream, and that no crash, redelivery or poison job makes a second MP3, a second
 * outcome or a blocked partition.
 */
class ConversionHandlerTest {
    private static final int MAX_ATTEMPTS = 2;
    private final String suffix = LocalServers.unique();
    private MongoConnection mongo;
    private Environment environment;
    private StreamSettings streams;
    private ConfirmedProducer progress;
    private final Map<String, ConfirmedProducer> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();

    @TempDir
    Path temp;

    @BeforeEach
    void start() {
        Config config = ServiceServer.config(LocalServers.streamAndMongoConfig(suffix));
        mongo = MongoConnection.from(config);
        streams = StreamSettings.from(config);
        environment = streams.environment("transcoder-test");
        Topology.declare(environment, streams);
        progress = ConfirmedProducer.unnamed(environment, streams.jobEvents(), Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        outcomes.values().forEach(ConfirmedProducer::close);
        progress.close();
        environment.deleteSuperStream(streams.videos());
        environment.deleteStream(streams.jobEvents());
        environment.deleteStream(streams.notifications());
        environment.close();
        mongo.database().drop();
        mongo.close();
        ticker.shutdownNow();
    }

    private ConversionHandler handler(Path tempDir) {
        return handler(tempDir, Duration.ofMinutes(5));
    }

    private ConversionHandler handler(Path tempDir, Duration deadline) {
        return handler(tempDir, deadline, new Mp3Converter());
    }

    private ConversionHandler handler(Path tempDir, Duration deadline, Mp3Converter converter) {
        ConversionHandler.Reporter reporter = new ConversionHandler.Reporter() {
            @Override
            public ConfirmedProducer outcomes(String partition) {
                return outcomes.computeIfAbsent(partition, p -> ConfirmedProducer.named(environment, streams.jobEvents(),
                        streams.jobEvents(), "outcomes-" + suffix + "-" + p, Duration.ofSeconds(10)));
            }

            @Override
            public ConfirmedProducer progress() {
                return progress;
            }

            @Override
            public ConfirmedProducer deferrals(String partition) {
                return outcomes.computeIfAbsent("back-" + partition, p -> ConfirmedProducer.named(environment, partition,
                        streams.videos(), "deferrals-" + suffix + "-" + partition, Duration.ofSeconds(10)));
            }
        };
        return new ConversionHandler(mongo, converter, reporter, ticker,
                new ConversionHandler.Settings("worker-" + suffix, MAX_ATTEMPTS, Duration.ofMillis(50), tempDir,
                        Duration.ofMillis(100), deadline, true, Duration.ofHours(1), 2), Clock.systemUTC());
    }

    @Test
    void aRedeliveredJobIsNeitherConvertedNorReportedTwice() throws Exception {
        EventMessage job = uploaded(Sample.WAV_22K);
        ConversionHandler handler = handler(temp);
        handler.handle(job, partition(0), 7);
        handler.handle(job, partition(0), 7);
        handler(temp).handle(job, partition(0), 7);
        List<Report> reports = reports();
        assertThat(outcomesOf(reports, job.jobId()), is(List.of(Events.CONVERSION_DONE + "#1")));
        assertThat("started once, before the outcome", reports.stream()
                .filter(r -> r.jobId().equals(job.jobId()) && r.type().equals(Events.CONVERSION_STARTED)).count(), is(1L));
        JsonNode done = reports.stream().filter(r -> r.type().equals(Events.CONVERSION_DONE)).findFirst().orElseThrow().body();
        assertThat(done.get("mp3FileId").asText(), is(ConversionHandler.mp3Id(job.jobId()).toHexString()));
        assertThat(done.get("durationSeconds").asDouble(), closeTo(Sample.WAV_22K.durationSeconds(), 0.15));
        JsonNode started = reports.stream().filter(r -> r.type().equals(Events.CONVERSION_STARTED)).findFirst().orElseThrow().body();
        assertThat("the probe's length", started.get("audioSeconds").asDouble(), closeTo(Sample.WAV_22K.durationSeconds(), 0.05));
        assertThat("the reservation covers the MP3", started.get("mp3BytesReserved").asLong(),
                both(greaterThanOrEqualTo(done.get("mp3Bytes").asLong())).and(lessThan(done.get("mp3Bytes").asLong() * 2 + 8192)));
        assertThat(mongo.database().getCollection("mp3s.files").countDocuments(), is(1L));
    }

    @Test
    void aDeletedJobsAttemptRecordGoesAndTheRecordsExpire() throws Exception {
        EventMessage job = uploaded(Sample.WAV_22K);
        EventMessage other = uploaded(Sample.WAV_22K);
        ConversionHandler handler = handler(temp);
        handler.handle(job, partition(0), 1);
        handler.handle(other, partition(1), 2); // in partition 0 it would go back: its owner had the last turn there
        handler.handle(EventMessage.of(Events.JOB_DELETED, job.jobId(), "deleted",
                new Events.JobDeleted(job.jobId(), "owner", Instant.now()), Map.of()), partition(0), 3);
        var conversions = mongo.database().getCollection("conversions");
        assertThat(conversions.countDocuments(new org.bson.Document("_id", job.jobId())), is(0L));
        assertThat(conversions.countDocuments(new org.bson.Document("_id", other.jobId())), is(1L));
        assertThat("kept for its lifetime", handler.recordsExpiry(Duration.ofDays(14)).getAsInt(), is(0));
        assertThat("gone after it", handler.recordsExpiry(Duration.ofMillis(-1)).getAsInt(), is(1));
        assertThat(conversions.countDocuments(), is(0L));
    }

    @Test
    void aConversionAfterACrashOverwritesTheHalfWrittenMp3AndCountsTheAttempt() throws Exception {
        EventMessage job = uploaded(Sample.OGG_OPUS_51);
        ObjectId mp3 = ConversionHandler.mp3Id(job.jobId());
        new Conversions(mongo, java.time.Clock.systemUTC()).beginAttempt(job.jobId(), "u1", Instant.now()); // the first attempt began, then the process died...
        new IdempotentGridFs(mongo.database(), MongoConnection.MP3_BUCKET).write(new BsonObjectId(mp3), "half.mp3",
                new Document(), new ByteArrayInputStream(new byte[3 * IdempotentGridFs.CHUNK_BYTES + 17])); // ...mid-upload

        handler(temp).handle(job, partition(1), 0);

        assertThat(outcomesOf(reports(), job.jobId()), is(List.of(Events.CONVERSION_DONE + "#2")));
        Document file = mongo.database().getCollection("mp3s.files").find(Filters.eq("_id", mp3)).first();
        long length = file.get("length", Number.class).longValue();
        long chunks = mongo.database().getCollection("mp3s.chunks").countDocuments(Filters.eq("files_id", mp3));
        assertThat(chunks, is((length + IdempotentGridFs.CHUNK_BYTES - 1) / IdempotentGridFs.CHUNK_BYTES));
        Path copy = temp.resolve("copy.mp3");
        try (InputStream in = mongo.mp3s().openDownloadStream(mp3)) {
            Files.copy(in, copy);
        }
        assertThat(Mp3Converter.durationOf(copy), closeTo(Sample.OGG_OPUS_51.durationSeconds(), 0.15));
        assertThat(mongo.database().getCollection("mp3s.files").countDocuments(), is(1L));
    }

    @Test
    void aJobThatKilledTheProcessOnEveryAttemptFailsWithoutAnotherTryAndThePartitionMovesOn() throws Exception {
        EventMessage killer = uploaded(Sample.WAV_22K);
        Conversions conversions = new Conversions(mongo, java.time.Clock.systemUTC());
        for (int i = 0; i < MAX_ATTEMPTS; i++) {
            conversions.beginAttempt(killer.jobId(), "u1", Instant.now()); // each attempt was counted, then the JVM died
        }
        EventMessage next = uploaded(Sample.WAV_22K);
        ConversionHandler handler = handler(temp);
        handler.handle(killer, partition(2), 0);
        handler.handle(next, partition(2), 1);
        List<Report> reports = reports();
        assertThat(outcomesOf(reports, killer.jobId()), is(List.of(Events.CONVERSION_FAILED + "#" + MAX_ATTEMPTS)));
        assertThat(reports.stream().filter(r -> r.jobId().equals(killer.jobId())).map(Report::type).toList(),
                is(List.of(Events.CONVERSION_FAILED)));
        assertThat(reports.stream().filter(r -> r.type().equals(Events.CONVERSION_FAILED)).findFirst().orElseThrow()
                .body().at("/reason/code").asText(), is("retries-exhausted"));
        assertThat(outcomesOf(reports, next.jobId()), is(List.of(Events.CONVERSION_DONE + "#1")));
    }

    @Test
    void aTemporaryFailureIsRetriedUpToTheMaxThenFailsAndLaterJobsStillComplete() throws Exception {
        Path notYet = temp.resolve("not-yet");
        Files.writeString(notYet, "a file where the temp directory should be");
        EventMessage poison = uploaded(Sample.AVI_MPEG4_MP3);
        handler(notYet).handle(poison, partition(0), 0);
        handler(temp).handle(new EventMessage(Events.VIDEO_UPLOADED, Events.VERSION, "", "", "{not json".getBytes(StandardCharsets.UTF_8),
                Map.of()), partition(0), 1);
        EventMessage later = uploaded(Sample.AVI_MPEG4_MP3);
        handler(temp).handle(later, partition(0), 2);
        List<Report> reports = reports();
        assertThat(outcomesOf(reports, poison.jobId()), is(List.of(Events.CONVERSION_FAILED + "#" + MAX_ATTEMPTS)));
        assertThat(outcomesOf(reports, later.jobId()), is(List.of(Events.CONVERSION_DONE + "#1")));
    }

    @Test
    void aVideoWithoutAudioFailsAtOnceWithItsReasonAndNoMp3() throws Exception {
        EventMessage job = uploaded(Sample.MP4_NO_AUDIO);
        handler(temp).handle(job, partition(0), 0);
        List<Report> reports = reports();
        assertThat(outcomesOf(reports, job.jobId()), is(List.of(Events.CONVERSION_FAILED + "#1")));
        JsonNode failed = reports.stream().filter(r -> r.type().equals(Events.CONVERSION_FAILED)).findFirst().orElseThrow().body();
        assertThat(failed.at("/reason/code").asText(), is("no-audio"));
        assertThat(mongo.database().getCollection("mp3s.files").countDocuments(), is(0L));
    }

    @Test
    void anAttemptPastItsDeadlineFailsTheJobInWordsAndLeavesNoChunkOfItsMp3() throws Exception {
        EventMessage job = uploaded(TestMedia.longWav(Duration.ofMinutes(3)), "three-minutes.wav");
        handler(temp, Duration.ofMillis(400)).handle(job, partition(0), 0);
        List<Report> reports = reports();
        assertThat(outcomesOf(reports, job.jobId()), is(List.of(Events.CONVERSION_FAILED + "#1")));
        JsonNode failed = reports.stream().filter(r -> r.type().equals(Events.CONVERSION_FAILED)).findFirst().orElseThrow().body();
        assertThat(failed.at("/reason/code").asText(), is("deadline"));
        assertThat(failed.at("/reason/message").asText(), is("converting took longer than the 0.4 seconds a job may take"));
    }

    @Test
    void soundLongerThanItsFileSaysFailsTheJobInWordsAndLeavesNoChunkOfTheMp3ItBegan() throws Exception {
        EventMessage job = uploaded(TestMedia.silentFlac(Duration.ofMinutes(10), false), "silence.flac");
        handler(temp, Duration.ofMinutes(5), new Mp3Converter("libmp3lame.so.0", Duration.ofMinutes(2))).handle(job, partition(0), 0);
        List<Report> reports = reports();
        assertThat(outcomesOf(reports, job.jobId()), is(List.of(Events.CONVERSION_FAILED + "#1")));
        JsonNode failed = reports.stream().filter(r -> r.type().equals(Events.CONVERSION_FAILED)).findFirst().orElseThrow().body();
        assertThat(failed.at("/reason/code").asText(), is("too-long"));
        assertThat("two minutes of MP3 were streamed before decoding found more, and went with the failure",
                mongo.database().getCollection("mp3s.chunks")
                        .countDocuments(Filters.eq("files_id", ConversionHandler.mp3Id(job.jobId()))), is(0L));
    }

    @Test
    void aJobWhoseOwnerConvertsElsewhereGoesBackToItsPartitionOnceEvenWhenTheMessageComesAgain() throws Exception {
        new Conversions(mongo, java.time.Clock.systemUTC()).beginAttempt("other-job", "u1", Instant.now().plusSeconds(600)); // u1 converts elsewhere
        EventMessage job = uploaded(Sample.WAV_22K);
        String partition = partition(0);
        handler(temp).handle(job, partition, 41);
        handler(temp).handle(job, partition, 41); // a new process: the offset was not stored before the crash
        List<EventMessage> queued = messages(partition);
        assertThat("one copy at the end of the partition", queued.size(), is(1));
        assertThat(queued.getFirst().jobId(), is(job.jobId()));
        assertThat(new String(queued.getFirst().body(), StandardCharsets.UTF_8), is(new String(job.body(), StandardCharsets.UTF_8)));
        assertThat("no attempt, no report", reports().stream().filter(r -> r.jobId().equals(job.jobId())).toList(), is(List.of()));
        assertThat(mongo.database().getCollection("conversions").countDocuments(Filters.and(Filters.eq("_id", job.jobId()),
                Filters.gt("attempts", 0))), is(0L));
    }

    @Test
    void progressIsReportedWhileALongConversionRuns() throws Exception {
        EventMessage job = uploaded(TestMedia.longWav(Duration.ofMinutes(3)), "three-minutes.wav");
        handler(temp).handle(job, partition(0), 0);
        List<Double> progress = reports().stream().filter(r -> r.type().equals(Events.CONVERSION_PROGRESS))
                .map(r -> r.body().get("progress").asDouble()).toList();
        assertThat("progress moved during the conversion: " + progress, progress.size() > 1, is(true));
        assertThat(progress, is(progress.stream().sorted().toList()));
        assertThat(progress.getLast(), greaterThan(0.5));
    }

    /** A partition of the test's own mp3.videos, where a job that goes back is republished. */
    private String partition(int n) {
        return streams.videos() + "-" + n;
    }

    private EventMessage uploaded(Sample media) throws Exception {
        return uploaded(TestMedia.path(media), media.fileName());
    }

    private EventMessage uploaded(Path path, String name) throws Exception {
        String jobId = UUID.randomUUID().toString();
        ObjectId file;
        try (InputStream in = Files.newInputStream(path)) {
            file = mongo.videos().uploadFromStream(name, in);
        }
        return EventMessage.of(Events.VIDEO_UPLOADED, jobId, 1, new Events.VideoUploaded(jobId, file.toHexString(), "u1",
                name, Files.size(path), Events.Options.DEFAULT, Instant.now()), Map.of());
    }

    private record Report(String type, String jobId, JsonNode body) {
    }

    /** Every report on the job-events stream, in order. */
    private List<Report> reports() throws Exception {
        List<Report> seen = Collections.synchronizedList(new ArrayList<>());
        Consumer consumer = environment.consumerBuilder().stream(streams.jobEvents()).offset(OffsetSpecification.first())
                .messageHandler((context, message) -> {
                    EventMessage event = EventMessage.from(message);
                    try {
                        seen.add(new Report(event.type(), event.jobId(), Json.MAPPER.readTree(event.body())));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                }).build();
        Thread.sleep(1500);
        consumer.close();
        return new ArrayList<>(seen);
    }

    /** Every message on a stream, in order. */
    private List<EventMessage> messages(String stream) throws Exception {
        List<EventMessage> seen = Collections.synchronizedList(new ArrayList<>());
        Consumer consumer = environment.consumerBuilder().stream(stream).offset(OffsetSpecification.first())
                .messageHandler((context, message) -> seen.add(EventMessage.from(message))).build();
        Thread.sleep(1500);
        consumer.close();
        return new ArrayList<>(seen);
    }

    /** type#attempt of the job's outcome events, in order. */
    private static List<String> outcomesOf(List<Report> reports, String jobId) {
        return reports.stream().filter(r -> r.jobId().equals(jobId)
                        && (r.type().equals(Events.CONVERSION_DONE) || r.type().equals(Events.CONVERSION_FAILED)))
                .map(r -> r.type() + "#" + r.body().get("attempt").asInt()).toList();
    }
}
