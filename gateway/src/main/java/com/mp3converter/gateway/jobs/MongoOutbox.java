package com.mp3converter.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.tracing.Tracing;

import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * One outbox of a collection: a message a document owes a stream, recorded in the same write as what caused it
 * ({@code outbox.<name>: {pending, traceHeaders, publishingIds, lease, publishedAt}}) and relayed by
 * {@link OutboxRelay}. The relaying replica holds it under a lease; the publishing id is recorded before the send,
 * so a send repeated after a crash carries the same id and the broker drops it.
 */
public final class MongoOutbox<T> {
    private final String name;
    private final String field;
    private final MongoCollection<Document> collection;
    private final Function<Document, T> reader;
    private final Lease lease;
    private final Clock clock;

    /** A message a document holds, with the trace context of what caused it. */
    public record Pending<T>(String id, T item, Map<String, String> traceHeaders) {
    }

    public MongoOutbox(String name, MongoCollection<Document> collection, Function<Document, T> reader, Duration lease,
                       Clock clock) {
        this.name = name;
        this.field = "outbox." + name;
        this.collection = collection;
        this.reader = reader;
        this.lease = new Lease(collection, field + ".", lease, clock);
        this.clock = clock;
    }

    public String name() {
        return name;
    }

    public void createIndexes() {
        collection.createIndex(Indexes.ascending(field + ".pending"));
    }

    /** A pending message in the trace of the span writing it, to insert as {@code outbox: {<name>: ...}}. */
    public Document entry() {
        return new Document("pending", true).append("traceHeaders", new Document(new LinkedHashMap<>(Tracing.inject())));
    }

    /** The update that makes a document's message pending (see {@link #entry}). */
    public Bson markPending() {
        return Updates.set(field, entry());
    }

    /** Messages still to publish that nobody holds, oldest document first. */
    List<Pending<T>> pending(int limit) {
        List<Pending<T>> pending = new ArrayList<>();
        collection.find(Filters.and(Filters.eq(field + ".pending", true), lease.free()))
                .sort(Sorts.ascending("createdAt")).limit(limit).forEach(d -> {
                    Map<String, String> trace = new LinkedHashMap<>();
                    if (d.get("outbox", Document.class).get(name) instanceof Document entry
                            && entry.get("traceHeaders") instanceof Document headers) {
                        headers.forEach((k, v) -> trace.put(k, String.valueOf(v)));
                    }
                    pending.add(new Pending<>(String.valueOf(d.get("_id")), reader.apply(d), trace));
                });
        return pending;
    }

    /** Takes the document's message for {@code holder} for a while, so two gateways do not both relay it. */
    boolean claim(String id, String holder) {
        return lease.claim(Filters.and(Filters.eq("_id", id), Filters.eq(field + ".pending", true)), holder, null).isPresent();
    }

    /** Lets go of the message unpublished (the send failed), so the next pass tries it at once. */
    void unclaim(String id, String holder) {
        lease.release(id, holder, null);
    }

    /** The publishing id recorded for this message and producer, or records {@code next} and returns it; -1: gone. */
    long publishingId(String id, String producer, long next) {
        String key = producer.replace('.', '_'); // producer names hold stream names, and a dot would nest the field
        String path = field + ".publishingIds." + key;
        Document d = collection.findOneAndUpdate(Filters.and(Filters.eq("_id", id), Filters.exists(path, false)),
                Updates.set(path, next), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        if (d != null) {
            return next;
        }
        Document existing = collection.find(Filters.eq("_id", id)).first();
        if (existing == null) {
            return -1;
        }
        Document ids = existing.get("outbox", Document.class).get(name, Document.class).get("publishingIds", Document.class);
        return ((Number) ids.get(key)).longValue();
    }

    /** The message went out: whoever holds it now, it is no longer pending. */
    void published(String id) {
        collection.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set(field + ".pending", false),
                lease.freed(), Updates.set(field + ".publishedAt", Date.from(clock.instant()))));
    }

    /** Matches documents whose message in this outbox is still to publish. */
    public Bson stillPending() {
        return Filters.eq(field + ".pending", true);
    }
}
