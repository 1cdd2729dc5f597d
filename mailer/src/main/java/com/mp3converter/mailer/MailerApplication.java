package com.mp3converter.mailer;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.jobs.MongoConnection;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

/** Consumes mp3.notifications (single active consumer {@code mailer}) and mails each job's outcome once. */
public final class MailerApplication implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MailerApplication.class.getName());

    private final Config config;
    private final MongoConnection mongo;
    private final StreamSettings streams;
    private final Environment environment;
    private final NotificationHandler handler;
    private final ScheduledExecutorService deferred = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("deferred-mail").daemon(true).factory());
    private volatile Consumer consumer;

    public MailerApplication(Config config) {
        this.config = config;
        SmtpSettings smtp = SmtpSettings.from(config.get("smtp"));
        this.mongo = MongoConnection.from(config);
        this.streams = StreamSettings.from(config);
        this.environment = streams.environment("mailer");
        Clock clock = Clock.systemUTC();
        Config mailer = config.get("mailer");
        SmtpSender sender = new SmtpSender(smtp);
        MailComposer composer = new MailComposer(sender.session(), smtp.from(),
                mailer.get("public-url").asString().orElse("https://mp3converter.com"),
                config.get("media.mp3-retention").as(Duration.class).orElse(Duration.ofDays(7)));
        this.handler = new NotificationHandler(new DeliveryStore(mongo, clock), new JobStore(mongo, clock), composer, sender,
                new NotificationHandler.Retry(
                        mailer.get("retry.in-place").as(Duration.class).orElse(Duration.ofSeconds(30)),
                        mailer.get("retry.backoff").as(Duration.class).orElse(Duration.ofSeconds(1)),
                        mailer.get("retry.give-up-after").as(Duration.class).orElse(Duration.ofDays(2))),
                clock);
    }

    public static void main(String[] args) {
        Config config = ServiceServer.loadConfig("mailer");
        MailerApplication app;
        try {
            app = new MailerApplication(config);
        } catch (IllegalStateException e) {
            LOG.severe("mailer cannot start: " + e.getMessage());
            System.exit(2);
            return;
        }
        WebServer server = ServiceServer.named("mailer").readiness("consuming", app::consuming).start(config, rules -> { });
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "mailer-shutdown"));
        app.startConsuming();
        LOG.info(() -> "mailer ready, health on port " + server.port());
    }

    public void startConsuming() {
        Startup.retryInBackground("mailer-start", () -> {
            Topology.declare(environment, streams);
            consumer = SingleActiveConsumer.onStream(environment, streams.notifications(),
                    config.get("mailer.consumer-name").asString().orElse("mailer"), handler);
            deferred.scheduleWithFixedDelay(this::retryDeferred, 5, 5, TimeUnit.SECONDS);
            LOG.info(() -> "consuming " + streams.notifications());
        });
    }

    private void retryDeferred() {
        try {
            handler.retryDeferred();
        } catch (RuntimeException e) {
            LOG.warning(() -> "deferred mail pass failed: " + e.getMessage());
        }
    }

    public boolean consuming() {
        return consumer != null && mongo.reachable();
    }

    @Override
    public void close() {
        handler.stop();
        deferred.shutdown();
        try {
            deferred.awaitTermination(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (consumer != null) {
            consumer.close();
        }
        environment.close();
        mongo.close();
    }
}
