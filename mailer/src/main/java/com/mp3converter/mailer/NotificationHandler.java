package com.mp3converter.mailer;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.Events;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.tracing.Tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

/**
 * Turns {@code mp3.ready} and {@code job.failed} into exactly one e-mail per job outcome. A delivery
 * record per (jobId, kind) makes redeliveries send nothing twice. A temporary SMTP failure is retried
 * in place for a short while, then the delivery is deferred (kept in MongoDB and retried in the
 * background) so the partition moves on; a permanent refusal is recorded as undeliverable.
 */
public final class NotificationHandler implements SingleActiveConsumer.Handler {
    private static final Logger LOG = Logger.getLogger(NotificationHandler.class.getName());

    private final DeliveryStore deliveries;
    private final JobStore jobs;
    private final MailComposer composer;
    private final SmtpSender sender;
    private final Retry retry;
    private final Clock clock;
    private volatile boolean stopping;

    /** How long to retry in place, the first backoff, and when a deferred mail is given up. */
    public record Retry(Duration inPlace, Duration backoff, Duration giveUpAfter) {
    }

    public NotificationHandler(DeliveryStore deliveries, JobStore jobs, MailComposer composer, SmtpSender sender,
                               Retry retry, Clock clock) {
        this.deliveries = deliveries;
        this.jobs = jobs;
        this.composer = composer;
        this.sender = sender;
        this.retry = retry;
        this.clock = clock;
    }

    public void stop() {
        stopping = true;
    }

    @Override
    public void handle(EventMessage event, String stream, long offset) {
        if (!Events.MP3_READY.equals(event.type()) && !Events.JOB_FAILED.equals(event.type())) {
            LOG.warning(() -> "skipping a message of type '" + event.type() + "' at " + stream + "@" + offset);
            return;
        }
        String jobId;
        try {
            jobId = jobIdOf(event);
        } catch (IOException e) {
            MailerMetrics.result(event.type(), "malformed");
            LOG.warning(() -> "skipping a malformed " + event.type() + " at " + stream + "@" + offset + ": " + e.getMessage());
            return;
        }
        Duration wait = retry.backoff();
        while (true) {
            parkIfStopping();
            SingleActiveConsumer.abortIfInterrupted();
            try {
                Optional<DeliveryStore.Delivery> claimed = deliveries.claim(jobId, event.type(), event.body(), claimLease());
                if (claimed.isPresent()) {
                    deliver(claimed.get(), clock.instant().plus(retry.inPlace()));
                    return;
                }
                DeliveryStore.State state = deliveries.find(jobId, event.type()).map(DeliveryStore.Delivery::state)
                        .orElse(DeliveryStore.State.SENDING);
                if (state == DeliveryStore.State.SENT || state == DeliveryStore.State.UNDELIVERABLE) {
                    MailerMetrics.result(event.type(), "duplicate");
                    LOG.fine(() -> "mail for " + jobId + " " + event.type() + " already " + state);
                    return;
                }
                // another sender holds the claim: wait for its outcome or for its claim to expire
                sleep(Duration.ofSeconds(1));
                continue;
            } catch (MongoException e) {
                LOG.warning(() -> "MongoDB unavailable while mailing " + jobId + ": " + e.getMessage() + "; retrying");
                sleep(wait);
                wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : wait.multipliedBy(2);
            }
        }
    }

    /** Tries until sent, refused for good, or {@code deadline} passes (then deferred). */
    void deliver(DeliveryStore.Delivery delivery, Instant deadline) {
        Duration wait = retry.backoff();
        while (true) {
            MimeMessage message;
            try {
                message = compose(delivery);
            } catch (IOException | MessagingException e) {
                deliveries.undeliverable(delivery, "cannot compose: " + e.getMessage());
                jobs.notificationFailed(delivery.jobId(), "the e-mail could not be composed: " + e.getMessage());
                MailerMetrics.result(delivery.kind(), "undeliverable");
                LOG.warning(() -> "mail for " + delivery.jobId() + " cannot be composed: " + e.getMessage());
                return;
            }
            try {
                Tracing.inSpan("mailer", "smtp send", SpanKind.CLIENT,
                        Attributes.of(AttributeKey.stringKey("mp3converter.mail.kind"), delivery.kind()), () -> {
                            sender.send(message);
                            return null;
                        });
                SingleActiveConsumer.evenIfInterrupted(() -> {
                    deliveries.sent(delivery);
                    jobs.notified(delivery.jobId(), clock.instant());
                    return null;
                });
                MailerMetrics.result(delivery.kind(), "sent");
                LOG.info(() -> "mailed " + delivery.kind() + " for job " + delivery.jobId());
                return;
            } catch (SmtpSender.SendException e) {
                if (e.permanent()) {
                    deliveries.undeliverable(delivery, e.getMessage());
                    jobs.notificationFailed(delivery.jobId(), e.getMessage());
                    MailerMetrics.result(delivery.kind(), "undeliverable");
                    LOG.warning(() -> "mail for " + delivery.jobId() + " is undeliverable: " + e.getMessage());
                    return;
                }
                Instant next = clock.instant().plus(wait);
                if (next.isAfter(deadline) || stopping) {
                    deliveries.deferred(delivery, next, e.getMessage());
                    MailerMetrics.result(delivery.kind(), "deferred");
                    LOG.warning(() -> "mail for " + delivery.jobId() + " deferred: " + e.getMessage());
                    return;
                }
                MailerMetrics.result(delivery.kind(), "retried");
                long waitMillis = wait.toMillis();
                LOG.info(() -> "mail for " + delivery.jobId() + " not sent yet (" + e.getMessage() + "); retrying in "
                        + waitMillis + " ms");
                sleep(wait);
                wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : wait.multipliedBy(2);
            }
        }
    }

    /** One pass over the deferred deliveries that are due; run by the background retrier. */
    public void retryDeferred() {
        for (DeliveryStore.Delivery delivery : deliveries.due(20)) {
            if (delivery.firstAttemptAt() != null && delivery.firstAttemptAt().plus(retry.giveUpAfter()).isBefore(clock.instant())) {
                deliveries.undeliverable(delivery, "gave up after " + retry.giveUpAfter());
                jobs.notificationFailed(delivery.jobId(), "the mail server could not be reached for " + retry.giveUpAfter());
                MailerMetrics.result(delivery.kind(), "undeliverable");
                continue;
            }
            Optional<DeliveryStore.Delivery> counted = deliveries.claim(delivery.jobId(), delivery.kind(), delivery.event(),
                    claimLease());
            if (counted.isPresent()) {
                long backoffSeconds = Math.min(600, 1L << Math.min(counted.get().attempts(), 9));
                deliver(counted.get(), clock.instant().plusSeconds(backoffSeconds - 1));
            }
        }
    }

    /** Longer than one in-place retry window plus an SMTP exchange: a live sender never loses its claim. */
    private Duration claimLease() {
        return retry.inPlace().plusSeconds(60);
    }

    private MimeMessage compose(DeliveryStore.Delivery delivery) throws IOException, MessagingException {
        if (Events.MP3_READY.equals(delivery.kind())) {
            return composer.ready(Json.read(delivery.event(), Events.Mp3Ready.class));
        }
        return composer.failed(Json.read(delivery.event(), Events.JobFailed.class));
    }

    private static String jobIdOf(EventMessage event) throws IOException {
        var node = Json.MAPPER.readTree(event.body());
        if (node == null || !node.hasNonNull("jobId") || !node.hasNonNull("owner") || !node.get("owner").hasNonNull("email")) {
            throw new IOException("the event has no jobId or owner e-mail");
        }
        if (Events.MP3_READY.equals(event.type())) {
            event.read(Events.Mp3Ready.class);
        } else {
            event.read(Events.JobFailed.class);
        }
        return node.get("jobId").asText();
    }

    private void parkIfStopping() {
        while (stopping) {
            sleep(Duration.ofSeconds(1));
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
