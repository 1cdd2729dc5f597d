package com.mp3converter.mailer;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.Recording;
import com.mp3converter.common.server.Backoff;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.tracing.Tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

/**
 * Turns {@code job.done} and {@code job.failed} into their webhooks (queued for the webhook sender) and exactly one
 * e-mail per job outcome (and sends the account mails auth hands over the same way), hands {@code job.deleted} and
 * {@code account.deleted} to what forgets the deleted data, and tells the gateway
 * ({@code notification.sent} / {@code notification.failed} on {@code mp3.job-events}). A delivery record per
 * (jobId, kind) makes redeliveries send nothing twice. A temporary SMTP failure is retried in place for a short
 * while, then the delivery is deferred (kept in MongoDB and retried in the background) so the stream moves on;
 * a permanent refusal is recorded as undeliverable.
 */
public final class NotificationHandler implements SingleActiveConsumer.Handler {
    private static final Logger LOG = Logger.getLogger(NotificationHandler.class.getName());

    private final DeliveryStore deliveries;
    private final MailComposer composer;
    private final SmtpSender sender;
    private final Reports reports;
    private final Retry retry;
    private final BiConsumer<String, Events.JobOutcome> webhooks;
    private final java.util.function.Consumer<EventMessage> forget;
    private final Clock clock;
    private volatile boolean stopping;

    /** Where the reports to the gateway go ({@code mp3.job-events}). */
    @FunctionalInterface
    public interface Reports {
        void publish(EventMessage.Builder report) throws ConfirmedProducer.PublishException;
    }

    /** How long to retry in place, the first backoff, and when a deferred mail is given up. */
    public record Retry(Duration inPlace, Duration backoff, Duration giveUpAfter) {
    }

    /**
     * {@code webhooks} queues the outcome's webhooks (it is called again for a redelivered outcome and queues nothing
     * twice); {@code forget} forgets what a {@code job.deleted} or {@code account.deleted} names.
     */
    public NotificationHandler(DeliveryStore deliveries, MailComposer composer, SmtpSender sender,
                               Reports reports, Retry retry, BiConsumer<String, Events.JobOutcome> webhooks,
                               java.util.function.Consumer<EventMessage> forget, Clock clock) {
        this.deliveries = deliveries;
        this.composer = composer;
        this.sender = sender;
        this.reports = reports;
        this.retry = retry;
        this.webhooks = webhooks;
        this.forget = forget;
        this.clock = clock;
    }

    public void stop() {
        stopping = true;
    }

    @Override
    public void handle(EventMessage event, String stream, long offset) {
        if (event.is(Events.JOB_DELETED, Events.ACCOUNT_DELETED)) {
            retryingMongo(event.jobId(), () -> forget.accept(event));
            return;
        }
        if (!event.is(Events.JOB_DONE, Events.JOB_FAILED)) {
            LOG.warning(() -> "skipping " + event + " at " + stream + "@" + offset + ": not an event this mailer reads");
            return;
        }
        Events.JobOutcome outcome;
        try {
            outcome = readable(event.body());
        } catch (IOException e) {
            MailerMetrics.result(event.type(), "malformed");
            LOG.warning(() -> "skipping a malformed " + event.type() + " at " + stream + "@" + offset + ": " + e.getMessage());
            return;
        }
        Backoff backoff = Backoff.exponential(retry.backoff(), Duration.ofSeconds(30));
        boolean webhooksQueued = false;
        while (true) {
            parkWhileStopping();
            SingleActiveConsumer.abortIfInterrupted();
            try {
                if (!webhooksQueued) {
                    webhooks.accept(event.type(), outcome);
                    webhooksQueued = true;
                }
                Optional<DeliveryStore.Delivery> claimed = deliveries.claim(outcome.jobId(), event.type(),
                        outcome.owner().userId(), event.body());
                if (claimed.isPresent()) {
                    deliver(claimed.get(), clock.instant().plus(retry.inPlace()));
                    return;
                }
                DeliveryStore.State state = deliveries.find(outcome.jobId(), event.type())
                        .map(DeliveryStore.Delivery::state).orElse(DeliveryStore.State.SENDING);
                if (state == DeliveryStore.State.SENT || state == DeliveryStore.State.UNDELIVERABLE) {
                    MailerMetrics.result(event.type(), "duplicate");
                    LOG.fine(() -> "mail for " + outcome.jobId() + " " + event.type() + " already " + state);
                    return;
                }
                // another sender holds it: wait for its outcome or for its lease to expire
                Backoff.sleep(Duration.ofSeconds(1));
            } catch (MongoException e) {
                LOG.warning(() -> "MongoDB unavailable while mailing " + outcome.jobId() + ": " + e.getMessage() + "; retrying");
                if (!backoff.pause()) {
                    throw new SingleActiveConsumer.SubscriptionLost();
                }
            }
        }
    }

    /** Forgets what a deletion names, retrying while MongoDB is away (the consumer moves on only once it is done). */
    private void retryingMongo(String what, Runnable work) {
        Backoff backoff = Backoff.exponential(retry.backoff(), Duration.ofSeconds(30));
        while (true) {
            SingleActiveConsumer.abortIfInterrupted();
            try {
                work.run();
                return;
            } catch (MongoException e) {
                LOG.warning(() -> "MongoDB unavailable while forgetting " + what + ": " + e.getMessage() + "; retrying");
                if (!backoff.pause()) {
                    throw new SingleActiveConsumer.SubscriptionLost();
                }
            }
        }
    }

    /**
     * An account mail auth handed over: recorded (a repeat of the same mail id sends nothing twice), then tried in
     * place for a short while and deferred to the background passes if the mail server is away.
     */
    public void accountMail(String id, String kind, String owner, byte[] mail) {
        deliveries.claim(id, kind, owner, mail).ifPresent(claimed -> deliver(claimed, clock.instant().plus(retry.inPlace())));
    }

    /**
     * Tries until sent, refused for good, or {@code deadline} passes (then deferred), renewing the lease before each
     * new try; a lease lost meanwhile (this sender stalled longer than it) leaves the delivery to its new holder.
     */
    void deliver(DeliveryStore.Delivery delivery, Instant deadline) {
        Backoff backoff = Backoff.exponential(retry.backoff(), Duration.ofSeconds(30));
        for (boolean first = true; ; first = false) {
            if (!first && !deliveries.renew(delivery)) {
                LOG.warning(() -> "mail for " + delivery.jobId() + ": another sender took it over; leaving it to that one");
                return;
            }
            MimeMessage message;
            try {
                message = composer.compose(delivery.kind(), delivery.event());
            } catch (IOException | MessagingException e) {
                finished(delivery, "the e-mail could not be composed");
                LOG.warning(() -> "mail for " + delivery.jobId() + " cannot be composed: " + e.getMessage());
                return;
            }
            try {
                Tracing.inSpan("mailer", "smtp send", SpanKind.CLIENT,
                        sender.spanAttributes().toBuilder()
                                .put(AttributeKey.stringKey("mp3converter.mail.kind"), delivery.kind()).build(), () -> {
                            sender.send(message);
                            return null;
                        });
                finished(delivery, null);
                LOG.info(() -> "mailed " + delivery.kind() + " for job " + delivery.jobId());
                return;
            } catch (SmtpSender.SendException e) {
                if (e.permanent()) {
                    finished(delivery, e.getMessage());
                    LOG.warning(() -> "mail for " + delivery.jobId() + " is undeliverable: " + e.getMessage());
                    return;
                }
                Instant next = clock.instant().plus(backoff.next());
                if (next.isAfter(deadline) || stopping) {
                    deliveries.deferred(delivery, next, e.getMessage());
                    MailerMetrics.result(delivery.kind(), "deferred");
                    LOG.warning(() -> "mail for " + delivery.jobId() + " deferred: " + e.getMessage());
                    return;
                }
                MailerMetrics.result(delivery.kind(), "retried");
                LOG.info(() -> "mail for " + delivery.jobId() + " not sent yet (" + e.getMessage() + "); retrying in "
                        + backoff.next().toMillis() + " ms");
                backoff.pause();
            }
        }
    }

    /**
     * Records the delivery's end (sent when {@code error} is null) even on an interrupted thread, and while MongoDB
     * is away ({@link Recording}: the mail went out, a claim after the lease expired would send it again), then
     * tells the gateway.
     */
    private void finished(DeliveryStore.Delivery delivery, String error) {
        Recording.untilWritten(() -> SingleActiveConsumer.evenIfInterrupted(() -> {
            if (error == null) {
                deliveries.sent(delivery);
            } else {
                deliveries.undeliverable(delivery, error);
            }
            return null;
        }), e -> LOG.warning(() -> "mail for " + delivery.jobId() + " " + (error == null ? "went out" : "is undeliverable")
                + " but MongoDB is unavailable to record it (" + e.getMessage() + "); retrying"));
        MailerMetrics.result(delivery.kind(), error == null ? "sent" : "undeliverable");
        report(delivery, error);
    }

    /**
     * Tells the gateway how a finished job mail ended (an account mail concerns no job); unconfirmed reports are sent
     * again by {@link #retryInBackground()}.
     */
    private void report(DeliveryStore.Delivery delivery, String error) {
        if (MailComposer.isAccountMail(delivery.kind())) {
            deliveries.reported(delivery);
            return;
        }
        Object event = error == null
                ? new Events.NotificationSent(delivery.jobId(), "mail", clock.instant())
                : new Events.NotificationFailed(delivery.jobId(), "mail", error, clock.instant());
        String type = error == null ? Events.NOTIFICATION_SENT : Events.NOTIFICATION_FAILED;
        try {
            reports.publish(headers -> EventMessage.of(type, delivery.jobId(), delivery.kind(), event, headers));
            deliveries.reported(delivery);
        } catch (ConfirmedProducer.PublishException | RuntimeException e) {
            LOG.fine(() -> "the report of " + delivery.id() + " waits for the next pass: " + e.getMessage());
        }
    }

    /**
     * One background pass: deferred deliveries that are due (given up after {@code giveUpAfter}), and finished ones
     * whose report was not confirmed.
     */
    public void retryInBackground() {
        for (DeliveryStore.Delivery delivery : deliveries.due(20)) {
            if (delivery.firstAttemptAt() != null && delivery.firstAttemptAt().plus(retry.giveUpAfter()).isBefore(clock.instant())) {
                finished(delivery, "the mail server could not be reached for " + retry.giveUpAfter());
                continue;
            }
            Optional<DeliveryStore.Delivery> counted = deliveries.claim(delivery.jobId(), delivery.kind(), delivery.owner(),
                    delivery.event());
            if (counted.isPresent()) {
                long backoffSeconds = Math.min(600, 1L << Math.min(counted.get().attempts(), 9));
                deliver(counted.get(), clock.instant().plusSeconds(backoffSeconds - 1));
            }
        }
        for (DeliveryStore.Delivery delivery : deliveries.unreported(50)) {
            report(delivery, delivery.state() == DeliveryStore.State.SENT ? null : delivery.error());
        }
    }

    /** The outcome, if it names a job and an owner to write to. */
    private static Events.JobOutcome readable(byte[] body) throws IOException {
        Events.JobOutcome outcome = Json.read(body, Events.JobOutcome.class);
        if (outcome.jobId() == null || outcome.owner() == null || outcome.owner().email() == null || outcome.job() == null) {
            throw new IOException("the event has no jobId, owner e-mail or job view");
        }
        return outcome;
    }

    private void parkWhileStopping() {
        while (stopping) {
            Backoff.sleep(Duration.ofSeconds(1));
        }
    }
}
