package com.mp3converter.transcoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import com.mp3converter.common.mongo.IdempotentGridFs;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.Application;
import com.mp3converter.common.server.Housekeeping;
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

/**
 * Consumes mp3.videos (single active consumer {@code transcoder} per partition, so pods share the partitions
 * and a dead pod's partitions move to a live one), converts, reports on mp3.job-events. HTTP only for health
 * and metrics.
 */
public final class TranscoderApplication implements Application, ConversionHandler.Reporter {
    private static final Logger LOG = Logger.getLogger(TranscoderApplication.class.getName());
    private static final Duration CONFIRM = Duration.ofSeconds(10);

    private final Config config;
    private final MongoConnection mongo;
    private final StreamSettings streams;
    private final Environment environment;
    private final String worker;
    private final Mp3Converter converter;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("progress").daemon(true).factory());
    private final Map<String, ConfirmedProducer> outcomes = new ConcurrentHashMap<>();
    private final Map<String, ConfirmedProducer> deferrals = new ConcurrentHashMap<>();
    private volatile ConfirmedProducer progress;
    private volatile ConversionHandler handler;
    private Housekeeping housekeeping;
    private volatile Consumer consumer;

    public TranscoderApplication(Config config) {
        this.config = config;
        this.mongo = MongoConnection.from(config);
        this.streams = StreamSettings.from(config);
        // one consumer per connection: a conversion that takes minutes holds up only its own partition
        this.environment = streams.environment("transcoder", 1);
        this.worker = config.get("transcoder.instance-name").asString().filter(s -> !s.isBlank())
                .orElse("transcoder-" + Startup.hostName());
        this.converter = new Mp3Converter(config.get("transcoder.lame-library").asString().get(),
                config.get("transcoder.max-duration").as(Duration.class).get());
        TranscoderMetrics.encoder(converter.encoder(), converter.encoderVersion());
        TranscoderMetrics.initialize();
    }

    public static void main(String[] args) {
        ServiceServer.run("transcoder", TranscoderApplication::new);
    }

    @Override
    public String name() {
        return "transcoder";
    }

    @Override
    public Map<String, BooleanSupplier> readiness() {
        return Map.of("consuming", () -> consumer != null && mongo.reachable());
    }

    /** What status and operators see: which MP3 encoder converts (the bundled one is about three times slower). */
    @Override
    public Map<String, String> details() {
        return Map.of("encoder", converter.encoder() + " " + converter.encoderVersion());
    }

    /** Declares the topology and starts consuming, retrying in the background while a backend is down. */
    @Override
    public void start() {
        Startup.retryInBackground("transcoder-start", this::startConsuming);
    }

    private synchronized void startConsuming() throws java.io.IOException {
        Config transcoder = config.get("transcoder");
        Topology.declare(environment, streams);
        new IdempotentGridFs(mongo.database(), MongoConnection.MP3_BUCKET).createIndexes();
        Path temp = Path.of(transcoder.get("temp-dir").asString().filter(s -> !s.isBlank())
                .orElse(System.getProperty("java.io.tmpdir")));
        Files.createDirectories(temp);
        if (progress == null) {
            progress = ConfirmedProducer.unnamed(environment, streams.jobEvents(), CONFIRM);
        }
        handler = new ConversionHandler(mongo, converter, this, ticker, new ConversionHandler.Settings(worker,
                transcoder.get("retry.max-attempts").asInt().get(),
                transcoder.get("retry.backoff").as(Duration.class).get(), temp,
                transcoder.get("progress-every").as(Duration.class).get(),
                transcoder.get("attempt-deadline").as(Duration.class).get(),
                transcoder.get("fair-share.enabled").asBoolean().get(),
                transcoder.get("fair-share.long-job").as(Duration.class).get(), concurrency(transcoder)), Clock.systemUTC());
        if (housekeeping == null) {
            housekeeping = new Housekeeping("conversions-expiry", "attempt records past their lifetime",
                    handler.recordsExpiry(transcoder.get("conversions-kept").as(Duration.class).get()))
                    .every(Duration.ofMinutes(10));
        }
        consumer = SingleActiveConsumer.onSuperStream(environment, streams.videos(),
                transcoder.get("consumer-name").asString().get(), handler);
        LOG.info(() -> "consuming " + streams.videos() + " as " + worker);
    }

    /** Conversions at once: transcoder.concurrency, or as many as the processors this JVM may use (0). */
    private static int concurrency(Config transcoder) {
        int configured = transcoder.get("concurrency").asInt().get();
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    /** The partition's outcome producer: named after the partition, so whichever transcoder holds it deduplicates. */
    @Override
    public ConfirmedProducer outcomes(String partition) {
        return outcomes.computeIfAbsent(partition, p -> ConfirmedProducer.named(environment, streams.jobEvents(),
                streams.jobEvents(), "transcoder-outcomes-" + p, CONFIRM));
    }

    @Override
    public ConfirmedProducer progress() {
        return progress;
    }

    /** The partition's own named producer for jobs sent to its back, so whichever transcoder holds it deduplicates. */
    @Override
    public ConfirmedProducer deferrals(String partition) {
        return deferrals.computeIfAbsent(partition, p -> ConfirmedProducer.named(environment, p, streams.videos(),
                "transcoder-deferrals-" + p, CONFIRM));
    }

    @Override
    public void close() {
        if (housekeeping != null) {
            housekeeping.close();
        }
        ConversionHandler running = handler;
        if (running != null) {
            running.stop();
            Duration grace = config.get("transcoder.shutdown-wait").as(Duration.class).get();
            if (!running.awaitIdle(grace)) {
                LOG.warning("shutting down with a conversion still running; its partition moves to another transcoder, "
                        + "which counts a new attempt");
            }
        }
        if (consumer != null) {
            consumer.close();
        }
        outcomes.values().forEach(ConfirmedProducer::close);
        deferrals.values().forEach(ConfirmedProducer::close);
        if (progress != null) {
            progress.close();
        }
        environment.close();
        mongo.close();
        ticker.shutdownNow();
    }
}
