package com.mp3converter.mailer.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * The mailer's webhook records: the endpoints users registered ({@code webhooks}) and one delivery per (endpoint,
 * job outcome) in {@code webhook_deliveries}, PENDING → SUCCEEDED | FAILED, with every attempt logged. A delivery
 * is sent under a lease, so a notifier that dies mid-attempt leaves it to the next one, which logs the lost attempt.
 */
public final class WebhookStore {
    public static final String JOB_DONE = "job.done";
    public static final String JOB_FAILED = "job.failed";
    public static final String PING = "webhook.ping";
    private static final SecureRandom RANDOM = new SecureRandom();

    public enum State { PENDING, SUCCEEDED, FAILED }

    /** A signing secret; the previous one stays valid until {@code validUntil} after a rotation. */
    public record Secret(String value, Instant validUntil) {
    }

    public record Endpoint(String id, String owner, String url, List<String> events, List<Secret> secrets,
                           boolean enabled, String disabledReason, Instant createdAt) {
        /** The secrets to sign with now: the current one and a rotated-out one still in its grace period. */
        public List<String> signingSecrets(Instant now) {
            return secrets.stream().filter(s -> s.validUntil() == null || s.validUntil().isAfter(now)).map(Secret::value).toList();
        }
    }

    /** One try: when, the answer's status (null when none came), what went wrong, how long it took. */
    public record Attempt(Instant at, Integer status, String error, long millis) {
    }

    public record Delivery(String id, String messageId, String webhookId, String owner, String type, String jobId,
                           String payload, State state, List<Attempt> attempts, Instant createdAt, Instant nextAttemptAt,
                           Instant startedAt) {
    }

    private final MongoCollection<Document> endpoints;
    private final MongoCollection<Document> deliveries;
    private final Lease lease;
    private final Clock clock;

    /** {@code lease}: how long a notifier holds a delivery while it sends it. */
    public WebhookStore(MongoConnection mongo, Duration lease, Clock clock) {
        this.endpoints = mongo.database().getCollection("webhooks");
        this.deliveries = mongo.database().getCollection("webhook_deliveries");
        this.lease = new Lease(deliveries, "", lease, clock);
        this.clock = clock;
    }

    public void createIndexes() {
        endpoints.createIndex(Indexes.ascending("owner"));
        deliveries.createIndex(Indexes.compoundIndex(Indexes.ascending("state"), Indexes.ascending("nextAttemptAt")));
        deliveries.createIndex(Indexes.compoundIndex(Indexes.ascending("webhookId"), Indexes.descending("createdAt")));
        deliveries.createIndex(Indexes.ascending("jobId"));
        deliveries.createIndex(Indexes.ascending("owner"));
    }

    public Endpoint create(String owner, String url, List<String> events) {
        Document d = new Document("_id", "wh_" + new ObjectId().toHexString()).append("owner", owner).append("url", url)
                .append("events", events).append("secrets", List.of(secret(newSecret(), null)))
                .append("enabled", true).append("disabledReason", null).append("createdAt", Date.from(clock.instant()));
        endpoints.insertOne(d);
        return endpoint(d);
    }

    public List<Endpoint> list(String owner) {
        List<Endpoint> list = new ArrayList<>();
        endpoints.find(Filters.eq("owner", owner)).sort(Sorts.ascending("createdAt")).forEach(d -> list.add(endpoint(d)));
        return list;
    }

    public long count(String owner) {
        return endpoints.countDocuments(Filters.eq("owner", owner));
    }

    public Optional<Endpoint> find(String id, String owner) {
        return Optional.ofNullable(endpoints.find(owned(id, owner)).first()).map(WebhookStore::endpoint);
    }

    public Optional<Endpoint> find(String id) {
        return Optional.ofNullable(endpoints.find(Filters.eq("_id", id)).first()).map(WebhookStore::endpoint);
    }

    public boolean delete(String id, String owner) {
        return endpoints.deleteOne(owned(id, owner)).getDeletedCount() == 1;
    }

    /** A new current secret; the old one keeps signing (beside the new) for {@code grace}. */
    public Optional<Endpoint> rotate(String id, String owner, Duration grace) {
        return find(id, owner).map(endpoint -> {
            Instant now = clock.instant();
            List<Document> secrets = new ArrayList<>();
            secrets.add(secret(newSecret(), null));
            endpoint.secrets().stream().filter(s -> s.validUntil() == null)
                    .forEach(s -> secrets.add(secret(s.value(), now.plus(grace))));
            endpoints.updateOne(Filters.eq("_id", id), Updates.set("secrets", secrets));
            return find(id, owner).orElseThrow();
        });
    }

    public Optional<Endpoint> enable(String id, String owner) {
        endpoints.updateOne(owned(id, owner), Updates.combine(Updates.set("enabled", true), Updates.set("disabledReason", null)));
        return find(id, owner);
    }

    public void disable(String id, String reason) {
        endpoints.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("enabled", false),
                Updates.set("disabledReason", reason)));
    }

    /** The owner's enabled endpoints that take this event type. */
    public List<Endpoint> subscribed(String owner, String type) {
        List<Endpoint> list = new ArrayList<>();
        endpoints.find(Filters.and(Filters.eq("owner", owner), Filters.eq("enabled", true), Filters.eq("events", type)))
                .forEach(d -> list.add(endpoint(d)));
        return list;
    }

    /**
     * The delivery of one event to one endpoint, created once: the same (endpoint, event key) again finds the first
     * (a redelivered outcome queues nothing twice). Its message id (webhook-id) is derived from that key, so a
     * receiver sees the same id on every attempt.
     */
    public void enqueue(Endpoint endpoint, String type, String eventKey, String jobId, String payload) {
        String id = endpoint.id() + ":" + eventKey;
        Instant now = clock.instant();
        try {
            deliveries.insertOne(new Document("_id", id).append("messageId", "msg_" + digest(id))
                    .append("webhookId", endpoint.id()).append("owner", endpoint.owner()).append("type", type)
                    .append("jobId", jobId).append("payload", payload).append("state", State.PENDING.name())
                    .append("attempts", List.of()).append("createdAt", Date.from(now))
                    .append("nextAttemptAt", Date.from(now)).append("startedAt", null));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
        }
    }

    /**
     * Takes the most overdue PENDING delivery for {@code lease}. One whose last attempt started and never ended (its
     * notifier died) has that attempt logged as lost first.
     */
    public Optional<Delivery> claim(String holder) {
        Optional<Document> claimed = lease.claim(Filters.and(Filters.eq("state", State.PENDING.name()),
                        Filters.lte("nextAttemptAt", Date.from(clock.instant()))), holder, null,
                new FindOneAndUpdateOptions().sort(Sorts.ascending("nextAttemptAt")));
        if (claimed.isEmpty()) {
            return Optional.empty();
        }
        Document d = claimed.get();
        Delivery delivery = delivery(d);
        if (delivery.startedAt() != null) {
            deliveries.updateOne(held(delivery.id(), holder), Updates.combine(Updates.set("startedAt", null),
                    Updates.push("attempts", attempt(new Attempt(delivery.startedAt(), null,
                            "no answer recorded: the notifier stopped during this attempt", 0)))));
            d = deliveries.find(Filters.eq("_id", delivery.id())).first();
            delivery = delivery(d);
        }
        return Optional.of(delivery);
    }

    /** Marks an attempt as under way, so that a notifier dying now leaves a trace. */
    public void started(Delivery delivery, String holder) {
        deliveries.updateOne(held(delivery.id(), holder), Updates.set("startedAt", Date.from(clock.instant())));
    }

    /** Logs the attempt and sets what comes next: SUCCEEDED, FAILED, or PENDING again at {@code next}. */
    public void attempted(Delivery delivery, String holder, Attempt attempt, State state, Instant next) {
        lease.release(delivery.id(), holder, Updates.combine(Updates.push("attempts", attempt(attempt)),
                Updates.set("state", state.name()), Updates.set("nextAttemptAt", Date.from(next == null ? clock.instant() : next)),
                Updates.set("startedAt", null)));
    }

    /** When the endpoint's newest test event was queued. */
    public Optional<Instant> lastPing(String webhookId) {
        return Optional.ofNullable(deliveries.find(Filters.and(Filters.eq("webhookId", webhookId), Filters.eq("type", PING)))
                .sort(Sorts.descending("createdAt")).limit(1).first()).map(d -> instant(d, "createdAt"));
    }

    /** An endpoint's deliveries, newest first. */
    public List<Delivery> deliveries(String webhookId, int limit) {
        List<Delivery> list = new ArrayList<>();
        deliveries.find(Filters.eq("webhookId", webhookId)).sort(Sorts.descending("createdAt")).limit(limit)
                .forEach(d -> list.add(delivery(d)));
        return list;
    }

    /** Forgets the deliveries about a deleted job. */
    public void forgetJob(String jobId) {
        deliveries.deleteMany(Filters.eq("jobId", jobId));
    }

    /** Forgets a deleted account's endpoints and every delivery to them. */
    public void forgetOwner(String owner) {
        deliveries.deleteMany(Filters.eq("owner", owner));
        endpoints.deleteMany(Filters.eq("owner", owner));
    }

    /** Forgets ended deliveries created before {@code keep} ago (the deliveries log shows that far back); how many. */
    public int expire(Duration keep) {
        return (int) deliveries.deleteMany(Filters.and(Filters.in("state", State.SUCCEEDED.name(), State.FAILED.name()),
                Filters.lt("createdAt", Date.from(clock.instant().minus(keep))))).getDeletedCount();
    }

    /** A fresh secret in the Standard Webhooks form: {@code whsec_} and 24 random bytes in base64. */
    static String newSecret() {
        byte[] key = new byte[24];
        RANDOM.nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    private static Bson owned(String id, String owner) {
        return Filters.and(Filters.eq("_id", id), Filters.eq("owner", owner));
    }

    private Bson held(String id, String holder) {
        return Filters.and(Filters.eq("_id", id), lease.heldBy(holder));
    }

    private static Document secret(String value, Instant validUntil) {
        return new Document("value", value).append("validUntil", validUntil == null ? null : Date.from(validUntil));
    }

    private static Document attempt(Attempt a) {
        return new Document("at", Date.from(a.at())).append("status", a.status()).append("error", a.error())
                .append("millis", a.millis());
    }

    private static Endpoint endpoint(Document d) {
        List<Secret> secrets = d.getList("secrets", Document.class).stream()
                .map(s -> new Secret(s.getString("value"), instant(s, "validUntil"))).toList();
        return new Endpoint(d.getString("_id"), d.getString("owner"), d.getString("url"), d.getList("events", String.class),
                secrets, d.getBoolean("enabled", false), d.getString("disabledReason"), instant(d, "createdAt"));
    }

    private static Delivery delivery(Document d) {
        List<Attempt> attempts = d.getList("attempts", Document.class).stream()
                .map(a -> new Attempt(instant(a, "at"), a.getInteger("status"), a.getString("error"),
                        ((Number) a.get("millis")).longValue())).toList();
        return new Delivery(d.getString("_id"), d.getString("messageId"), d.getString("webhookId"), d.getString("owner"),
                d.getString("type"), d.getString("jobId"), d.getString("payload"), State.valueOf(d.getString("state")),
                attempts, instant(d, "createdAt"), instant(d, "nextAttemptAt"), instant(d, "startedAt"));
    }

    private static Instant instant(Document d, String field) {
        Date date = d.getDate(field);
        return date == null ? null : date.toInstant();
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
