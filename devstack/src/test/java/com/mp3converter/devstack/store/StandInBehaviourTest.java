package com.mp3converter.devstack.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSBuckets;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;

import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/** What the services and tests use of MongoDB, through the real driver, and what the stand-in adds (TTL, cursors). */
class StandInBehaviourTest {
    @TempDir
    Path dir;

    @Test
    void theServicesOperationsWorkAsOnMongoDb() {
        try (RunningStandIn standIn = RunningStandIn.open(dir.resolve("ops.mv"))) {
            MongoDatabase db = standIn.database("ops");
            MongoCollection<Document> jobs = db.getCollection("jobs");
            jobs.createIndex(Indexes.ascending("mp3.fileId"));
            Document created = jobs.findOneAndUpdate(Filters.eq("_id", "j1"),
                    Updates.combine(Updates.setOnInsert("owner", "u1"), Updates.inc("attempts", 1), Updates.set("state", "QUEUED")),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            assertEquals(new Document("_id", "j1").append("owner", "u1").append("attempts", 1).append("state", "QUEUED"), created);
            Document again = jobs.findOneAndUpdate(Filters.and(Filters.eq("_id", "j1"), Filters.eq("state", "QUEUED")),
                    Updates.combine(Updates.setOnInsert("owner", "u2"), Updates.inc("attempts", 1), Updates.unset("state"),
                            Updates.set("mp3", new Document("fileId", "f1"))),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            assertEquals(new Document("_id", "j1").append("owner", "u1").append("attempts", 2)
                    .append("mp3", new Document("fileId", "f1")), again);
            assertEquals("j1", jobs.find(Filters.eq("mp3.fileId", "f1")).first().getString("_id"));
            assertEquals(1, jobs.countDocuments(Filters.eq("owner", "u1")));

            MongoCollection<Document> keys = db.getCollection("keys");
            keys.createIndex(Indexes.ascending("user", "key"), new IndexOptions().unique(true));
            keys.insertOne(new Document("user", "u").append("key", "k"));
            MongoWriteException duplicate = assertThrows(MongoWriteException.class,
                    () -> keys.insertOne(new Document("user", "u").append("key", "k")));
            assertEquals(11000, duplicate.getError().getCode());
            assertThrows(MongoWriteException.class, () -> jobs.insertOne(new Document("_id", "j1")));
            keys.insertOne(new Document("user", "u").append("key", "other"));
            keys.replaceOne(Filters.and(Filters.eq("user", "u"), Filters.eq("key", "k")),
                    new Document("user", "u").append("key", "k").append("v", 2), new ReplaceOptions().upsert(true));
            assertEquals(2, keys.countDocuments());
            assertEquals(List.of("other", "k"), keys.find().sort(Sorts.descending("key")).map(d -> d.getString("key"))
                    .into(new ArrayList<>()));

            Document stats = db.runCommand(new Document("dbStats", 1));
            assertTrue(((Number) stats.get("dataSize")).longValue() > 0);
            assertEquals(standIn.backend.fileSize(), ((Number) stats.get("fileSize")).longValue());
        }
    }

    @Test
    void gridFsFilesReadBackWithAndWithoutABatchSize() throws Exception {
        try (RunningStandIn standIn = RunningStandIn.open(dir.resolve("gridfs.mv"))) {
            GridFSBucket bucket = GridFSBuckets.create(standIn.database("files"));
            byte[] content = new byte[20 << 20];
            new Random(3).nextBytes(content);
            ObjectId id = bucket.uploadFromStream("f", new ByteArrayInputStream(content));
            try (InputStream in = bucket.openDownloadStream(id).batchSize(8)) {
                assertArrayEquals(content, in.readAllBytes());
            }
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            bucket.downloadToStream(id, whole);
            assertArrayEquals(content, whole.toByteArray());
            bucket.delete(id);
            assertEquals(0, standIn.database("files").getCollection("fs.chunks").countDocuments());
        }
    }

    @Test
    void abandonedCursorsAreForgottenAndTheRestIsReadInBatches() {
        try (RunningStandIn standIn = RunningStandIn.open(dir.resolve("cursors.mv"))) {
            MongoCollection<Document> items = standIn.database("c").getCollection("items");
            List<Document> many = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                many.add(new Document("_id", i).append("data", new Binary(new byte[100_000])));
            }
            items.insertMany(many);
            MongoCursor<Document> open = items.find().batchSize(10).iterator();
            open.next();
            assertEquals(1, standIn.backend.openCursors().expire(Duration.ofMinutes(10)), "one cursor open, in use");
            assertEquals(0, standIn.backend.openCursors().expire(Duration.ZERO), "forgotten once idle too long");
            MongoCommandException gone = assertThrows(MongoCommandException.class, () -> {
                while (open.hasNext()) {
                    open.next();
                }
            });
            assertEquals(43, gone.getErrorCode(), "CursorNotFound, as MongoDB answers");
            // no batch size: the stand-in answers in batches of at most 16 MiB (100 MB here), as MongoDB does
            assertEquals(1000, items.find().into(new ArrayList<>()).size());
        }
    }

    @Test
    void ttlIndexesDeleteExpiredDocuments() {
        try (RunningStandIn standIn = RunningStandIn.open(dir.resolve("ttl.mv"))) {
            MongoCollection<Document> keys = standIn.database("t").getCollection("idempotency_keys");
            keys.createIndex(Indexes.ascending("createdAt"), new IndexOptions().expireAfter(60L, TimeUnit.SECONDS));
            Instant now = Instant.now();
            keys.insertOne(new Document("_id", "old").append("createdAt", Date.from(now.minusSeconds(120))));
            keys.insertOne(new Document("_id", "new").append("createdAt", Date.from(now)));
            keys.insertOne(new Document("_id", "undated").append("createdAt", "not a date"));
            standIn.backend.expireNow();
            assertEquals(List.of("new", "undated"), keys.find().sort(Sorts.ascending("_id")).map(d -> d.getString("_id"))
                    .into(new ArrayList<>()));
            assertEquals(60L, keys.listIndexes().into(new ArrayList<>()).stream()
                    .filter(i -> "createdAt_1".equals(i.getString("name"))).findFirst().orElseThrow().get("expireAfterSeconds", Number.class).longValue());
        }
    }

    @Test
    void aDroppedDatabaseLeavesNothingBehind() {
        try (RunningStandIn standIn = RunningStandIn.open(dir.resolve("drop.mv"))) {
            MongoDatabase bench = standIn.database("bench_x");
            bench.getCollection("jobs").createIndex(Indexes.ascending("state"));
            bench.getCollection("jobs").insertOne(new Document("state", "DONE").append("data", new Binary(new byte[1 << 20])));
            standIn.database("kept").getCollection("c").insertOne(new Document("x", 1));
            long before = standIn.backend.liveData();
            bench.drop();
            assertTrue(standIn.backend.liveData() < before - (1 << 20), "the dropped data no longer counts as live");
            assertEquals(List.of("kept"), standIn.client.listDatabaseNames().into(new ArrayList<>()));
            try (RunningStandIn reopened = standIn.reopen()) {
                assertEquals(List.of("kept"), reopened.client.listDatabaseNames().into(new ArrayList<>()));
                assertEquals(0, reopened.database("bench_x").getCollection("jobs").countDocuments());
            }
        }
    }

    @Test
    void dataWrittenByTheOldH2BackendIsCarriedOver() {
        Path file = dir.resolve("legacy.mv");
        MongoServer old = new MongoServer(new H2Backend(file.toString()));
        old.bind(new InetSocketAddress("127.0.0.1", 0));
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + old.getLocalAddress().getPort())) {
            MongoCollection<Document> jobs = client.getDatabase("mp3converter").getCollection("jobs");
            jobs.createIndex(Indexes.ascending("mp3.fileId"));
            client.getDatabase("mp3converter").getCollection("mp3s.chunks")
                    .createIndex(Indexes.ascending("files_id", "n"), new IndexOptions().unique(true));
            for (int i = 0; i < 50; i++) {
                jobs.insertOne(new Document("_id", "job-" + i).append("mp3", new Document("fileId", "f" + i)));
            }
            client.getDatabase("other").getCollection("c").insertOne(new Document("x", 1));
        }
        old.shutdownNow();
        try (RunningStandIn standIn = RunningStandIn.open(file)) {
            MongoCollection<Document> jobs = standIn.database("mp3converter").getCollection("jobs");
            assertEquals(50, jobs.countDocuments());
            assertEquals("job-7", jobs.find(Filters.eq("mp3.fileId", "f7")).first().getString("_id"));
            assertTrue(jobs.listIndexes().map(i -> i.getString("name")).into(new ArrayList<>()).contains("mp3.fileId_1"));
            assertTrue(standIn.database("mp3converter").getCollection("mp3s.chunks").listIndexes()
                    .map(i -> i.getBoolean("unique", false)).into(new ArrayList<>()).contains(true));
            assertEquals(1, standIn.database("other").getCollection("c").countDocuments());
            assertNull(jobs.find(Filters.eq("mp3.fileId", "none")).first());
        }
        try (RunningStandIn reopened = RunningStandIn.open(file)) {
            assertEquals(50, reopened.database("mp3converter").getCollection("jobs").countDocuments(), "copied once");
            assertFalse(reopened.client.listDatabaseNames().into(new ArrayList<>()).isEmpty());
        }
    }
}
