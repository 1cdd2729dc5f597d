package com.mp3converter.transcoder;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.mongodb.client.model.Filters;
import com.mp3converter.common.jobs.Job;
import com.mp3converter.common.jobs.JobState;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.jobs.MongoConnection;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.Events;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.OffsetSpecification;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The transcoder's handler against the local stack's MongoDB endpoint and RabbitMQ, with the real converter. */
class JobProcessorTest {
    private final String suffix = LocalServers.unique();
    private final Clock clock = Clock.systemUTC();
    private MongoConnection mongo;
    private JobStore jobs;
    private Environment environment;
    private StreamSettings streams;
    private ConfirmedProducer producer;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();

    @TempDir
    Path temp;

    @BeforeEach
    void start() {
        Config config = Config.just(ConfigSources.create(LocalServers.streamAndMongoConfig(suffix)));
        mongo = MongoConnection.from(config);
        jobs = new JobStore(mongo, clock);
        streams = StreamSettings.from(config);
        environment = streams.environment("transcoder-test");
        Topology.declare(environment, streams);
        producer = new ConfirmedProducer(environment, streams.notifications(), "transcoder-test-" + suffix, Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        producer.close();
        environment.deleteSuperStream(streams.videos());
        environment.deleteStream(streams.notifications());
        environment.close();
        mongo.database().drop();
        mongo.close();
        heartbeats.shutdownNow();
    }

    private JobProcessor processor(Path tempDir) {
        return new JobProcessor(jobs, mongo, new Mp3Converter(), new Notifier(producer, jobs, clock), heartbeats,
                new JobProcessor.Settings("transcoder-test", Duration.ofSeconds(10), 2, Duration.ofMillis(100), tempDir, true),
                clock);
    }

    @Test
    void aRedeliveredDoneJobIsNeitherConvertedNorAnnouncedTwice() throws Exception {
        EventMessage event = uploaded(Sample.WAV_22K);
        JobProcessor processor = processor(temp);
        processor.handle(event, "test", 0);
        Job done = jobs.find(event.jobId()).orElseThrow();
        assertThat(done.state(), is(JobState.DONE));
        assertThat(done.attempts(), is(1));
        assertThat("the source is deleted after success", done.videoFileId() == null, is(true));

        processor.handle(event, "test", 0);
        processor(temp).handle(event, "test", 1);
        Job again = jobs.find(event.jobId()).orElseThrow();
        assertThat(again.attempts(), is(1));
        assertThat(again.mp3FileId(), is(done.mp3FileId()));
        assertThat(mongo.database().getCollection("mp3s.files").countDocuments(Filters.eq("metadata.jobId", event.jobId())), is(1L));
        assertThat(notifications(), is(List.of(Events.MP3_READY + ":" + event.jobId())));
    }

    @Test
    void aPoisonMessageFailsAfterTheMaxAttemptsAndLaterJobsStillComplete() throws Exception {
        Path notYet = temp.resolve("not-yet");
        JobProcessor processor = processor(notYet);
        EventMessage poison = uploaded(Sample.AVI_MPEG4_MP3);
        processor.handle(poison, "test", 0);
        Job failed = jobs.find(poison.jobId()).orElseThrow();
        assertThat(failed.state(), is(JobState.FAILED));
        assertThat(failed.attempts(), is(2));
        assertThat(failed.error().code(), is("retries-exhausted"));

        Files.createDirectories(notYet);
        EventMessage later = uploaded(Sample.AVI_MPEG4_MP3);
        processor.handle(new EventMessage(Events.VIDEO_UPLOADED, "", "", "{not json".getBytes(StandardCharsets.UTF_8), Map.of()), "test", 1);
        processor.handle(later, "test", 2);
        assertThat(jobs.find(later.jobId()).orElseThrow().state(), is(JobState.DONE));
        assertThat(notifications(), is(List.of(Events.JOB_FAILED + ":" + poison.jobId(), Events.MP3_READY + ":" + later.jobId())));
    }

    @Test
    void aVideoWithoutAudioFailsAtOnceWithItsReason() throws Exception {
        EventMessage event = uploaded(Sample.MP4_NO_AUDIO);
        processor(temp).handle(event, "test", 0);
        Job failed = jobs.find(event.jobId()).orElseThrow();
        assertThat(failed.state(), is(JobState.FAILED));
        assertThat(failed.attempts(), is(1));
        assertThat(failed.error().code(), is("no-audio"));
        assertThat(mongo.database().getCollection("mp3s.files").countDocuments(), is(0L));
    }

    private EventMessage uploaded(Sample media) throws Exception {
        String jobId = java.util.UUID.randomUUID().toString();
        String sample = media.fileName();
        Path path = TestMedia.path(media);
        org.bson.types.ObjectId file;
        try (InputStream in = Files.newInputStream(path)) {
            file = mongo.videos().uploadFromStream(sample, in);
        }
        Events.Owner owner = new Events.Owner("u1", "u1@example.com");
        jobs.insert(JobStore.newJob(jobId, owner, sample, Files.size(path), "sha",
                file.toHexString(), Events.Options.DEFAULT, Map.of(), Instant.now()));
        return EventMessage.of(Events.VIDEO_UPLOADED, jobId, 1, new Events.VideoUploaded(jobId, file.toHexString(), owner,
                sample, 1, Events.Options.DEFAULT, 1, Instant.now()), Map.of());
    }

    /** type:jobId of every message on the notifications stream, in order. */
    private List<String> notifications() throws InterruptedException {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        Consumer consumer = environment.consumerBuilder().stream(streams.notifications()).offset(OffsetSpecification.first())
                .messageHandler((context, message) -> {
                    EventMessage event = EventMessage.from(message);
                    seen.add(event.type() + ":" + event.jobId());
                }).build();
        Thread.sleep(1500);
        consumer.close();
        return new ArrayList<>(seen);
    }
}
