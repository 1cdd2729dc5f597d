package com.mp3converter.mailer.webhooks;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.Recording;

import org.bson.types.ObjectId;

/**
 * Sends the webhooks: queues one delivery per subscribed endpoint for each job outcome, and delivers them signed as
 * Standard Webhooks requires ({@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature}). A 2xx is
 * success; a timeout, a connection failure, 429 or 5xx is retried on the schedule (about 27 h in all by default);
 * 410 disables the endpoint; any other answer fails the delivery. Redirects are not followed, the target is checked
 * again before every attempt, and no more than a few KiB of an answer is read.
 */
public final class WebhookSender implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WebhookSender.class.getName());
    private static final int KEPT_ANSWER_CHARS = 512;
    private static final int READ_ANSWER_BYTES = 4096;
    private static final int IN_FLIGHT = 4;

    private final WebhookStore store;
    private final WebhookTargets targets;
    private final Settings settings;
    private final String publicUrl;
    private final Clock clock;
    private final HttpClient http;
    private final String holder = "mailer-" + new ObjectId().toHexString();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore slots = new Semaphore(IN_FLIGHT);
    private volatile boolean running;
    private Thread poller;

    /** The waits after each failed attempt, the timeouts, and how long a sending notifier holds a delivery. */
    public record Settings(List<Duration> retrySchedule, Duration connectTimeout, Duration timeout, Duration lease,
                           Duration rotationGrace) {
        /** A live notifier must never lose its hold on a delivery in the middle of an attempt. */
        public Settings {
            if (lease.compareTo(connectTimeout.plus(timeout)) <= 0) {
                throw new IllegalStateException("webhooks.lease (" + lease + ") must be longer than webhooks.connect-timeout"
                        + " plus webhooks.timeout (" + connectTimeout.plus(timeout) + ")");
            }
        }

        public static List<Duration> schedule(String text) {
            List<Duration> waits = new ArrayList<>();
            for (String each : text.split(",")) {
                if (!each.isBlank()) {
                    waits.add(Duration.parse(each.trim()));
                }
            }
            return List.copyOf(waits);
        }
    }

    public WebhookSender(WebhookStore store, WebhookTargets targets, Settings settings, String publicUrl, Clock clock) {
        this.store = store;
        this.targets = targets;
        this.settings = settings;
        this.publicUrl = publicUrl.replaceAll("/+$", "");
        this.clock = clock;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout()).build();
    }

    /** Queues the outcome for the owner's endpoints that take it (again for the same outcome: nothing new). */
    public void outcome(String eventType, Events.JobOutcome outcome) {
        String type = eventType.equals(Events.JOB_DONE) ? WebhookStore.JOB_DONE : WebhookStore.JOB_FAILED;
        List<WebhookStore.Endpoint> endpoints = store.subscribed(outcome.owner().userId(), type);
        if (endpoints.isEmpty()) {
            return;
        }
        Events.JobView job = outcome.job().linkedFrom(publicUrl);
        String payload = payload(type, job.finishedAt() == null ? clock.instant() : job.finishedAt(), job);
        for (WebhookStore.Endpoint endpoint : endpoints) {
            store.enqueue(endpoint, type, outcome.jobId() + ":" + type, outcome.jobId(), payload);
        }
    }

    /** Queues a test event for one endpoint. */
    public void ping(WebhookStore.Endpoint endpoint) {
        Instant now = clock.instant();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("webhookId", endpoint.id());
        data.put("message", "a test event from mp3converter: this endpoint receives " + String.join(" and ", endpoint.events()));
        store.enqueue(endpoint, WebhookStore.PING, "ping:" + new ObjectId().toHexString(), null,
                payload(WebhookStore.PING, now, data));
    }

    public void start() {
        running = true;
        poller = Thread.ofPlatform().name("webhook-sender").daemon(true).start(this::poll);
    }

    private void poll() {
        while (running) {
            try {
                slots.acquire();
                Optional<WebhookStore.Delivery> due;
                try {
                    due = store.claim(holder);
                } catch (RuntimeException e) {
                    slots.release();
                    LOG.warning(() -> "webhook deliveries cannot be read now: " + e.getMessage());
                    Thread.sleep(2000);
                    continue;
                }
                if (due.isEmpty()) {
                    slots.release();
                    Thread.sleep(500);
                    continue;
                }
                workers.submit(() -> {
                    try {
                        deliver(due.get());
                    } catch (RuntimeException e) {
                        LOG.warning(() -> "webhook " + due.get().messageId() + " attempt not recorded: " + e.getMessage());
                    } finally {
                        slots.release();
                    }
                });
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One attempt, and what it leads to. */
    void deliver(WebhookStore.Delivery delivery) {
        Optional<WebhookStore.Endpoint> endpoint = store.find(delivery.webhookId());
        Instant started = clock.instant();
        if (endpoint.isEmpty() || !endpoint.get().enabled()) {
            String why = endpoint.isEmpty() ? "the endpoint was deleted" : "the endpoint is disabled: " + endpoint.get().disabledReason();
            store.attempted(delivery, holder, new WebhookStore.Attempt(started, null, why, 0), WebhookStore.State.FAILED, null);
            return;
        }
        WebhookTargets.Checked target;
        try {
            target = targets.check(endpoint.get().url());
        } catch (WebhookTargets.RefusedTarget e) {
            finish(delivery, new WebhookStore.Attempt(started, null, "not sent: " + e.getMessage(), 0), true);
            return;
        }
        store.started(delivery, holder);
        long seconds = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(target.uri()).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "mp3converter-webhooks")
                .header("webhook-id", delivery.messageId())
                .header("webhook-timestamp", Long.toString(seconds))
                .header("webhook-signature", signature(endpoint.get().signingSecrets(clock.instant()),
                        delivery.messageId(), seconds, delivery.payload()))
                .POST(HttpRequest.BodyPublishers.ofString(delivery.payload(), StandardCharsets.UTF_8)).build();
        long t0 = System.nanoTime();
        try (PinnedResolver.Held pinned = PinnedResolver.pin(target.uri().getHost(), target.addresses())) {
            Answer answer = exchange(request, t0 + settings.timeout().toNanos());
            long millis = (System.nanoTime() - t0) / 1_000_000;
            int status = answer.status();
            String kept = answer.body().length() > KEPT_ANSWER_CHARS ? answer.body().substring(0, KEPT_ANSWER_CHARS) + "…" : answer.body();
            if (status >= 200 && status < 300) { // accepted: a record lost would send it again once the lease expired
                Recording.untilWritten(() -> store.attempted(delivery, holder, new WebhookStore.Attempt(started, status,
                        null, millis), WebhookStore.State.SUCCEEDED, null), e -> LOG.warning(() -> "webhook "
                        + delivery.messageId() + " was accepted but MongoDB is unavailable to record it ("
                        + e.getMessage() + "); retrying"));
                LOG.info(() -> "webhook " + delivery.messageId() + " (" + delivery.type() + ") delivered to " + delivery.webhookId());
            } else if (status == 410) {
                store.disable(endpoint.get().id(), "the endpoint answered 410 Gone at " + started);
                finish(delivery, new WebhookStore.Attempt(started, status, "410 Gone: the endpoint is disabled", millis), true);
            } else {
                boolean retried = status == 429 || status >= 500;
                finish(delivery, new WebhookStore.Attempt(started, status, kept.isBlank() ? null : "answer: " + kept, millis),
                        !retried);
            }
        } catch (TimeoutException | HttpTimeoutException e) {
            finish(delivery, new WebhookStore.Attempt(started, null, "no complete answer within " + settings.timeout().toSeconds()
                    + " s", (System.nanoTime() - t0) / 1_000_000), false);
        } catch (IOException e) {
            finish(delivery, new WebhookStore.Attempt(started, null, "could not connect or send: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), (System.nanoTime() - t0) / 1_000_000), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Answer(int status, String body) {
    }

    /**
     * The whole exchange before {@code deadline} (System.nanoTime): the headers and the start of the body. A
     * receiver that sends its headers and then goes quiet is cut off at the deadline like one that never answers.
     */
    private Answer exchange(HttpRequest request, long deadline) throws IOException, InterruptedException, TimeoutException {
        CompletableFuture<HttpResponse<InputStream>> sending = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response;
        try {
            response = sending.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            sending.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        try (InputStream body = response.body()) {
            Future<byte[]> reading = workers.submit(() -> body.readNBytes(READ_ANSWER_BYTES));
            try {
                return new Answer(response.statusCode(), new String(reading.get(Math.max(1, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS), StandardCharsets.UTF_8));
            } catch (TimeoutException e) {
                reading.cancel(true);
                throw e;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }
    }

    /** A failed attempt: FAILED when {@code final} or the schedule is used up, else PENDING until the next wait ends. */
    private void finish(WebhookStore.Delivery delivery, WebhookStore.Attempt attempt, boolean isFinal) {
        int failures = (int) delivery.attempts().stream().filter(a -> a.status() == null || a.status() < 200 || a.status() >= 300).count();
        if (isFinal || failures >= settings.retrySchedule().size()) {
            store.attempted(delivery, holder, attempt, WebhookStore.State.FAILED, null);
            LOG.warning(() -> "webhook " + delivery.messageId() + " to " + delivery.webhookId() + " failed: " + attempt.error());
            return;
        }
        Instant next = clock.instant().plus(settings.retrySchedule().get(failures));
        store.attempted(delivery, holder, attempt, WebhookStore.State.PENDING, next);
        LOG.info(() -> "webhook " + delivery.messageId() + " to " + delivery.webhookId() + " not delivered ("
                + (attempt.status() == null ? attempt.error() : "status " + attempt.status()) + "); next attempt at " + next);
    }

    /** {@code v1,<base64 HMAC-SHA256 of id.timestamp.body>} for each secret, space-separated. */
    static String signature(List<String> secrets, String messageId, long timestamp, String payload) {
        List<String> signatures = new ArrayList<>();
        for (String secret : secrets) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
                byte[] signed = mac.doFinal((messageId + "." + timestamp + "." + payload).getBytes(StandardCharsets.UTF_8));
                signatures.add("v1," + Base64.getEncoder().encodeToString(signed));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(" ", signatures);
    }

    private static String payload(String type, Instant timestamp, Object data) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("type", type);
        payload.put("timestamp", timestamp);
        payload.put("data", data);
        return new String(Json.bytes(payload), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        running = false;
        if (poller != null) {
            poller.interrupt();
        }
        workers.shutdownNow();
    }
}
