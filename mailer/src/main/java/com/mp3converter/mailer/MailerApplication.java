package com.mp3converter.mailer;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.mongo.Admissions;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.Application;
import com.mp3converter.common.server.Housekeeping;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.mailer.webhooks.WebhookSender;
import com.mp3converter.mailer.webhooks.WebhookService;
import com.mp3converter.mailer.webhooks.WebhookStore;
import com.mp3converter.mailer.webhooks.WebhookTargets;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;

import io.helidon.config.Config;
import io.helidon.webserver.http.HttpRouting;
import io.opentelemetry.context.Context;

import org.bson.types.ObjectId;

/**
 * Consumes mp3.notifications (single active consumer {@code mailer}), mails each job's outcome once and reports
 * it on mp3.job-events, and sends the outcome to the owner's webhooks; serves {@code /webhooks} (through the gateway).
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
    private final WebhookStore webhookStore;
    private final WebhookTargets webhookTargets;
    private final WebhookSender.Settings webhookSettings;
    private final WebhookSender webhooks;
    private final NotificationHandler handler;
    private final DeliveryStore deliveries;
    private final InternalCaller internal;
    private final Housekeeping housekeeping;
    private volatile ConfirmedProducer reports;
    private volatile Consumer consumer;
    private volatile boolean webhooksStarted;
    private final Duration deliveryLease;
    private final String holder = "mailer-" + new ObjectId().toHexString();

    /** Fails with the name of a missing or wrong SMTP setting. */
    public MailerApplication(Config config) {
        this.config = config;
        SmtpSettings smtp = SmtpSettings.from(config.get("smtp"));
        this.sender = new SmtpSender(smtp);
        this.deliveryLease = config.get("mailer.lease").as(Duration.class).get();
        Duration exchange = smtp.connectTimeout().plus(smtp.writeTimeout()).plus(smtp.readTimeout());
        if (deliveryLease.compareTo(exchange) <= 0) {
            throw new IllegalStateException("mailer.lease (" + deliveryLease + ") must be longer than one SMTP exchange "
                    + "(smtp connect, write and read timeouts: " + exchange + ")");
        }
        this.composer = new MailComposer(sender.session(), smtp.from(), config.get("mailer.public-url").asString().get());
        this.mongo = MongoConnection.from(config);
        this.streams = StreamSettings.from(config);
        this.environment = streams.environment("mailer");
        Config hooks = config.get("webhooks");
        this.webhookTargets = new WebhookTargets(hooks.get("allow").asString().orElse(""));
        this.webhookSettings = new WebhookSender.Settings(
                WebhookSender.Settings.schedule(hooks.get("retry-schedule").asString().get()),
                hooks.get("connect-timeout").as(Duration.class).get(), hooks.get("timeout").as(Duration.class).get(),
                hooks.get("lease").as(Duration.class).get(), hooks.get("rotation-grace").as(Duration.class).get());
        this.webhookStore = new WebhookStore(mongo, webhookSettings.lease(), Clock.systemUTC());
        this.webhooks = new WebhookSender(webhookStore, webhookTargets, webhookSettings,
                config.get("mailer.public-url").asString().get(), Clock.systemUTC());
        this.internal = InternalCaller.from(config);
        Config mailer = config.get("mailer");
        this.deliveries = new DeliveryStore(mongo, deliveryLease, holder, Clock.systemUTC());
        this.handler = new NotificationHandler(deliveries, composer, sender, this::report,
                new NotificationHandler.Retry(mailer.get("retry.in-place").as(Duration.class).get(),
                        mailer.get("retry.backoff").as(Duration.class).get(),
                        mailer.get("retry.give-up-after").as(Duration.class).get()),
                webhooks::outcome, new DeletedData(deliveries, webhookStore)::forget, Clock.systemUTC());
        Duration deliveriesKept = mailer.get("deliveries-kept").as(Duration.class).get();
        Duration webhookDeliveriesKept = hooks.get("deliveries-kept").as(Duration.class).get();
        this.housekeeping = new Housekeeping("mail-bookkeeping", "deliveries past their lifetime",
                () -> deliveries.expire(deliveriesKept) + webhookStore.expire(webhookDeliveriesKept));
    }

    @Override
    public void routing(HttpRouting.Builder rules) {
        rules.register("/webhooks", new WebhookService(webhookStore, webhookTargets, webhooks, webhookSettings,
                config.get("webhooks.max-per-user").asInt().get(), config.get("webhooks.ping-interval").as(Duration.class).get(),
                new Admissions(mongo.database().getCollection("webhook_admissions"), Duration.ofSeconds(10),
                        Duration.ofSeconds(5), Clock.systemUTC()), internal, Clock.systemUTC()))
                .register("/account-mails", new AccountMailService(internal, handler));
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
            if (!webhooksStarted) {
                webhookStore.createIndexes();
                webhooks.start();
                webhooksStarted = true;
            }
            Config mailer = config.get("mailer");
            deliveries.createIndexes();
            if (reports == null) {
                reports = ConfirmedProducer.unnamed(environment, streams.jobEvents(), Duration.ofSeconds(10));
            }
            consumer = SingleActiveConsumer.onStream(environment, streams.notifications(),
                    mailer.get("consumer-name").asString().get(), handler);
            housekeeping.every(Duration.ofMinutes(10));
            background.scheduleWithFixedDelay(this::background, 5, 5, TimeUnit.SECONDS);
            LOG.info(() -> "consuming " + streams.notifications());
        });
    }

    /** The report goes once the producer is there (the broker reachable); until then it waits for a later pass. */
    private void report(EventMessage.Builder report) throws ConfirmedProducer.PublishException {
        ConfirmedProducer producer = reports;
        if (producer == null) {
            throw new ConfirmedProducer.PublishException("the broker is not reachable yet");
        }
        producer.publish(Context.current(), null, report);
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
        handler.stop();
        housekeeping.close();
        webhooks.close();
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
