package com.mp3converter.transcoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.jobs.MongoConnection;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.transcoder.convert.Mp3Converter;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

/**
 * Consumes mp3.videos (single active consumer {@code transcoder} per partition, so pods share the
 * partitions and a dead pod's partitions move to a live one), converts, publishes to mp3.notifications.
 * HTTP only for health and metrics.
 */
public final class TranscoderApplication implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TranscoderApplication.class.getName());

    private final Config config;
    private final MongoConnection mongo;
    private final Environment environment;
    private final StreamSettings streams;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("lease-heartbeat").daemon(true).factory());
    private volatile JobProcessor processor;
    private volatile ConfirmedProducer producer;
    private volatile Consumer consumer;

    public TranscoderApplication(Config config) {
        this.config = config;
        this.mongo = MongoConnection.from(config);
        this.streams = StreamSettings.from(config);
        this.environment = streams.environment("transcoder", 1);
    }

    public static void main(String[] args) {
        Config config = ServiceServer.loadConfig("transcoder");
        TranscoderApplication app = new TranscoderApplication(config);
        WebServer server = ServiceServer.named("transcoder")
                .readiness("consuming", app::consuming)
                .start(config, rules -> { });
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "transcoder-shutdown"));
        app.startConsuming();
        LOG.info(() -> "transcoder ready, health on port " + server.port());
    }

    /** Declares the topology and starts consuming, retrying in the background while a backend is down. */
    public void startConsuming() {
        Startup.retryInBackground("transcoder-start", this::start);
    }

    private synchronized void start() throws java.io.IOException {
        Config transcoder = config.get("transcoder");
        Clock clock = Clock.systemUTC();
        JobStore jobs = new JobStore(mongo, clock);
        jobs.createIndexes();
        Topology.declare(environment, streams);
        String name = transcoder.get("instance-name").asString().filter(s -> !s.isBlank()).orElse("transcoder-" + Startup.hostName());
        if (producer == null) {
            producer = new ConfirmedProducer(environment, streams.notifications(), name, Duration.ofSeconds(10));
        }
        Path temp = Path.of(transcoder.get("temp-dir").asString().filter(s -> !s.isBlank()).orElse(System.getProperty("java.io.tmpdir")));
        Files.createDirectories(temp);
        processor = new JobProcessor(jobs, mongo, new Mp3Converter(), new Notifier(producer, jobs, clock), heartbeats,
                new JobProcessor.Settings(name,
                        transcoder.get("lease").as(Duration.class).orElse(Duration.ofSeconds(30)),
                        transcoder.get("retry.max-attempts").asInt().orElse(5),
                        transcoder.get("retry.backoff").as(Duration.class).orElse(Duration.ofSeconds(2)),
                        temp,
                        transcoder.get("delete-source-after-success").asBoolean().orElse(true)),
                clock);
        consumer = SingleActiveConsumer.onSuperStream(environment, streams.videos(),
                transcoder.get("consumer-name").asString().orElse("transcoder"), processor);
        LOG.info(() -> "consuming " + streams.videos() + " as " + name);
    }

    public boolean consuming() {
        return consumer != null && mongo.reachable();
    }

    @Override
    public void close() {
        JobProcessor running = processor;
        if (running != null) {
            running.stop();
            Duration grace = config.get("transcoder.shutdown-wait").as(Duration.class).orElse(Duration.ofSeconds(60));
            if (!running.awaitIdle(grace)) {
                LOG.warning("shutting down with a conversion still running; its lease expires and another transcoder takes it");
            }
        }
        if (consumer != null) {
            consumer.close();
        }
        if (producer != null) {
            producer.close();
        }
        environment.close();
        mongo.close();
        heartbeats.shutdownNow();
    }

}
