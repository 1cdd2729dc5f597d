package com.mp3converter.devstack.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queries answered through the indexes return exactly what a scan returns: the same random documents are kept in
 * a collection with the services' kinds of indexes (compound with a descending part, on nested fields, sparse,
 * multikey) and in one without, and every query must give the same documents in the same order from both,
 * before and after updates and deletes that move index entries. The services' own query shapes must also be
 * planned through the index they declared.
 */
class IndexedQueriesTest {
    private static final int DOCUMENTS = 3_000;
    @TempDir
    static Path dir;
    private static RunningStandIn standIn;
    private static MongoCollection<Document> indexed;
    private static MongoCollection<Document> scanned;

    @BeforeAll
    static void fill() {
        standIn = RunningStandIn.open(dir.resolve("queries.mv"));
        MongoDatabase db = standIn.database("queries");
        indexed = db.getCollection("indexed");
        scanned = db.getCollection("scanned");
        indexed.createIndex(Indexes.compoundIndex(Indexes.ascending("owner.userId"), Indexes.descending("createdAt")));
        indexed.createIndex(Indexes.ascending("mp3.fileId"));
        indexed.createIndex(Indexes.ascending("outbox.video.pending"));
        indexed.createIndex(Indexes.ascending("state", "nextAttemptAt"));
        indexed.createIndex(Indexes.ascending("tags"));
        indexed.createIndex(Indexes.ascending("n"), new IndexOptions().sparse(true));
        indexed.createIndex(Indexes.ascending("files_id", "seq"), new IndexOptions().unique(true));
        Random random = new Random(29);
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < DOCUMENTS; i++) {
            documents.add(randomDocument(random, i));
        }
        indexed.insertMany(documents);
        scanned.insertMany(documents);
    }

    @AfterAll
    static void close() {
        standIn.close();
    }

    private static Document randomDocument(Random random, int i) {
        Document d = new Document("_id", random.nextInt(4) == 0 ? (Object) ("s" + i) : (Object) i)
                .append("owner", new Document("userId", "user-" + random.nextInt(12)))
                .append("createdAt", new Date(1_700_000_000_000L + random.nextInt(500) * 1000L))
                .append("state", List.of("QUEUED", "PROCESSING", "DONE", "FAILED").get(random.nextInt(4)))
                .append("files_id", i % 300)
                .append("seq", i / 300);
        switch (random.nextInt(3)) {
            case 0 -> d.append("mp3", new Document("fileId", "f" + random.nextInt(400)));
            case 1 -> d.append("mp3", null);
            default -> { }
        }
        if (random.nextBoolean()) {
            d.append("outbox", new Document("video", new Document("pending", random.nextBoolean())));
        }
        if (random.nextInt(3) > 0) {
            d.append("nextAttemptAt", new Date(1_700_000_000_000L + random.nextInt(100) * 60_000L));
        }
        switch (random.nextInt(4)) {
            case 0 -> d.append("tags", List.of("t" + random.nextInt(5), "t" + random.nextInt(5)));
            case 1 -> d.append("tags", "t" + random.nextInt(5));
            case 2 -> d.append("tags", List.of());
            default -> { }
        }
        switch (random.nextInt(6)) {
            case 0 -> d.append("n", random.nextInt(50));
            case 1 -> d.append("n", (long) random.nextInt(50));
            case 2 -> d.append("n", random.nextInt(50) + 0.5);
            case 3 -> d.append("n", "n" + random.nextInt(50));
            case 4 -> d.append("n", null);
            default -> { }
        }
        return d;
    }

    private static final Instant T = Instant.ofEpochMilli(1_700_000_000_000L);

    private static List<Bson> filters() {
        return List.of(
                Filters.eq("owner.userId", "user-3"),
                Filters.and(Filters.eq("mp3.fileId", "f17"), Filters.eq("owner.userId", "user-5")),
                Filters.eq("mp3.fileId", "f17"),
                Filters.eq("mp3.fileId", null),
                Filters.in("mp3.fileId", "f1", "f2", "f3", "nope"),
                Filters.and(Filters.eq("outbox.video.pending", true), Filters.or(
                        Filters.exists("outbox.video.claimedUntil", false), Filters.lt("outbox.video.claimedUntil", new Date()))),
                Filters.and(Filters.eq("state", "DONE"), Filters.lte("nextAttemptAt", Date.from(T.plusSeconds(1800)))),
                Filters.and(Filters.eq("state", "FAILED"), Filters.gt("nextAttemptAt", Date.from(T.plusSeconds(600))),
                        Filters.lt("nextAttemptAt", Date.from(T.plusSeconds(3000)))),
                Filters.in("state", "QUEUED", "PROCESSING"),
                Filters.eq("tags", "t2"),
                Filters.in("tags", "t1", "t4"),
                Filters.and(Filters.gt("tags", "t1"), Filters.lt("tags", "t3")),
                Filters.eq("n", 7),
                Filters.eq("n", 7.5),
                Filters.gte("n", 40),
                Filters.and(Filters.gt("n", 10), Filters.lte("n", 20L)),
                Filters.lt("n", "n3"),
                Filters.eq("n", null),
                Filters.and(Filters.eq("files_id", 42), Filters.gte("seq", 3)),
                Filters.and(Filters.eq("files_id", 42), Filters.eq("seq", 5)),
                Filters.in("_id", 5, "s8", 11, 12.0),
                Filters.and(Filters.gte("_id", 100), Filters.lt("_id", 200)),
                Filters.and(Filters.eq("owner.userId", "user-1"), Filters.gte("createdAt", Date.from(T.plusSeconds(100))),
                        Filters.lt("createdAt", Date.from(T.plusSeconds(300)))),
                new Document());
    }

    private static List<Bson> sorts() {
        return List.of(Sorts.descending("createdAt", "_id"), Sorts.ascending("createdAt", "_id"),
                Sorts.ascending("nextAttemptAt", "_id"), Sorts.ascending("seq", "_id"), Sorts.descending("n", "_id"),
                Sorts.ascending("_id"), Sorts.descending("_id"));
    }

    private static void assertSame(Bson filter, Bson sort, int skip, int limit) {
        List<Document> expected = scanned.find(filter).sort(sort).skip(skip).limit(limit).into(new ArrayList<>());
        List<Document> actual = indexed.find(filter).sort(sort).skip(skip).limit(limit).batchSize(7).into(new ArrayList<>());
        if (sort == null) { // no order asked for: the same documents
            expected.sort(java.util.Comparator.comparing(Document::toJson));
            actual.sort(java.util.Comparator.comparing(Document::toJson));
        }
        assertEquals(expected, actual, () -> "find " + filter + " sort " + sort + " skip " + skip + " limit " + limit);
    }

    private static void assertAllSame() {
        for (Bson filter : filters()) {
            assertSame(filter, null, 0, 0);
            assertEquals(scanned.countDocuments(filter), indexed.countDocuments(filter), () -> "count " + filter);
            for (Bson sort : sorts()) {
                assertSame(filter, sort, 0, 0);
                assertSame(filter, sort, 3, 10);
            }
        }
    }

    @Test
    void indexedQueriesReturnWhatAScanReturns() {
        assertAllSame();
    }

    @Test
    void indexesFollowUpdatesAndDeletes() {
        for (MongoCollection<Document> c : List.of(indexed, scanned)) {
            c.updateMany(Filters.eq("owner.userId", "user-4"), Updates.combine(Updates.set("owner.userId", "user-44"),
                    Updates.set("tags", List.of("t9", "t2")), Updates.set("n", 9)));
            c.updateMany(Filters.eq("state", "QUEUED"), Updates.set("state", "PROCESSING"));
            c.updateMany(Filters.eq("mp3.fileId", "f17"), Updates.unset("mp3"));
            c.deleteMany(Filters.in("state", "FAILED"));
            c.deleteMany(Filters.eq("tags", "t3"));
        }
        assertAllSame();
    }

    private static QueryPlan plan(String collection, de.bwaldvogel.mongo.bson.Document query, de.bwaldvogel.mongo.bson.Document sort) {
        StandInCollection stored = (StandInCollection) standIn.backend.resolveDatabase("queries").resolveCollection(collection, true);
        return QueryPlan.of(query, sort, stored.getIndexes(), false);
    }

    private static de.bwaldvogel.mongo.bson.Document doc(Object... pairs) {
        de.bwaldvogel.mongo.bson.Document d = new de.bwaldvogel.mongo.bson.Document();
        for (int i = 0; i < pairs.length; i += 2) {
            d.put((String) pairs[i], pairs[i + 1]);
        }
        return d;
    }

    @Test
    void theServicesQueriesArePlannedThroughTheirIndexes() {
        QueryPlan byMp3 = plan("indexed", doc("$and", List.of(doc("mp3.fileId", "f17"), doc("owner.userId", "user-5"))), null);
        assertEquals("mp3.fileId_1", byMp3.index.getName());
        QueryPlan page = plan("indexed", doc("owner.userId", "u"), doc("createdAt", -1, "_id", -1));
        assertEquals("owner.userId_1_createdAt_-1", page.index.getName());
        assertEquals(1, page.sortedPrefix, "createdAt comes in index order; ties on it are sorted by _id");
        QueryPlan pending = plan("indexed", doc("$and", List.of(doc("outbox.video.pending", true),
                doc("$or", List.of(doc("x", doc("$exists", false)))))), doc("createdAt", 1));
        assertEquals("outbox.video.pending_1", pending.index.getName());
        QueryPlan due = plan("indexed", doc("$and", List.of(doc("state", "PENDING"), doc("nextAttemptAt", doc("$lte", T)))),
                doc("nextAttemptAt", 1));
        assertEquals("state_1_nextAttemptAt_1", due.index.getName());
        assertEquals(1, due.sortedPrefix);
        QueryPlan chunks = plan("indexed", doc("files_id", 1, "seq", doc("$gte", 0)), doc("seq", 1));
        assertEquals("files_id_1_seq_1", chunks.index.getName());
        assertEquals(1, chunks.sortedPrefix, "a file's chunks come in order");
        QueryPlan upsert = plan("indexed", doc("$and", List.of(doc("files_id", 1), doc("seq", 2))), null);
        assertEquals("files_id_1_seq_1", upsert.index.getName());
        assertTrue(plan("indexed", doc("_id", 5), null).index instanceof IdIndex);
        assertNull(plan("indexed", doc("unindexed", 5), null).index, "a field no index has: a scan");
        assertNotNull(plan("indexed", doc("n", 3), null).index);
        assertNull(plan("indexed", doc("n", null), null).index, "a sparse index lacks the documents without the field");
    }
}
