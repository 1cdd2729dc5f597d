package com.mp3converter.mailer;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.Application;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;

import io.helidon.config.Config;

/**
 * Consumes mp3.notifications (single active consumer {@code mailer}), mails each job's outcome once and reports
 * it on mp3.job-events. HTTP only for health and metrics.
 */
public final class MailerApplication implements Application {
    private static final Logger LOG = Logger.getLogger(MailerApplication.class.getName());

    private final Config config;
    private final MongoConnection mongo;
    private final StreamSettings streams;
    private final Environment environment;
    private final SmtpSender sender;
    private final MailComposer composer;
    private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("mail-background").daemon(true).factory());
    private volatile NotificationHandler handler;
    private volatile ConfirmedProducer reports;
    private volatile Consumer consumer;

    /** Fails with the name of a missing or wrong SMTP setting. */
    public MailerApplication(Config config) {
        this.config = config;
        SmtpSettings smtp = SmtpSettings.from(config.get("smtp"));
        this.sender = new SmtpSender(smtp);
        this.composer = new MailComposer(sender.session(), smtp.from(), config.get("mailer.public-url").asString().get());
        this.mongo = MongoConnection.from(config);
        this.streams = StreamSettings.from(config);
        this.environment = streams.environment("mailer");
    }

    public static void main(String[] args) {
        try {
            ServiceServer.run("mailer", MailerApplication::new);
        } catch (IllegalStateException e) {
            LOG.severe("mailer cannot start: " + e.getMessage());
            System.exit(2);
        }
    }

    @Override
    public String name() {
        return "mailer";
    }

    @Override
    public Map<String, BooleanSupplier> readiness() {
        return Map.of("consuming", () -> consumer != null && mongo.reachable());
    }

    @Override
    public void start() {
        Startup.retryInBackground("mailer-start", () -> {
            Topology.declare(environment, streams);
            Config mailer = config.get("mailer");
            if (reports == null) {
                reports = ConfirmedProducer.unnamed(environment, streams.jobEvents(), Duration.ofSeconds(10));
            }
            handler = new NotificationHandler(new DeliveryStore(mongo, Clock.systemUTC()), composer, sender, reports,
                    new NotificationHandler.Retry(mailer.get("retry.in-place").as(Duration.class).get(),
                            mailer.get("retry.backoff").as(Duration.class).get(),
                            mailer.get("retry.give-up-after").as(Duration.class).get()),
                    Clock.systemUTC());
            consumer = SingleActiveConsumer.onStream(environment, streams.notifications(),
                    mailer.get("consumer-name").asString().get(), handler);
            background.scheduleWithFixedDelay(this::background, 5, 5, TimeUnit.SECONDS);
            LOG.info(() -> "consuming " + streams.notifications());
        });
    }

    private void background() {
        try {
            handler.retryInBackground();
        } catch (RuntimeException e) {
            LOG.warning(() -> "background mail pass failed: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (handler != null) {
            handler.stop();
        }
        background.shutdown();
        try {
            background.awaitTermination(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (consumer != null) {
            consumer.close();
        }
        if (reports != null) {
            reports.close();
        }
        environment.close();
        mongo.close();
    }
}
