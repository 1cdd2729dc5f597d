package com.mp3converter.devstack.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSBuckets;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;

import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The services' queries take about as long against a large collection as against a small one: the same queries
 * alternate between a database with 100 jobs and MP3s and one with 200 times as many, and the large one may
 * be at most 7 times slower. Measured on this machine: through the index 1 to 4 times (the higher while other work
 * shared its two cores), a scan of the jobs about 12 times. Which index a query takes is checked exactly by
 * {@link IndexedQueriesTest}; this test catches a scan that creeps in. A relative bound on medians from one run:
 * speed targets themselves belong in benchmarks (bench standin).
 */
class QueryLatencyTest {
    private static final int SMALL = 100;
    private static final int LARGE = 20_000;
    private static final int USERS = 10;
    private static final int CHUNK = 25 * 1024;
    private static final int REPEATS = 100;
    private static final double MAX_RATIO = 7;

    @TempDir
    Path dir;

    /** A database with {@code jobs} jobs as the gateway stores them and an MP3 of two chunks for each. */
    private static List<String> fill(MongoDatabase db, int jobs) {
        MongoCollection<Document> jobsCollection = db.getCollection("jobs");
        jobsCollection.createIndex(Indexes.compoundIndex(Indexes.ascending("owner.userId"), Indexes.descending("createdAt")));
        jobsCollection.createIndex(Indexes.ascending("mp3.fileId"));
        db.getCollection("mp3s.chunks").createIndex(Indexes.ascending("files_id", "n"), new IndexOptions().unique(true));
        db.getCollection("mp3s.files").createIndex(Indexes.ascending("filename", "uploadDate"));
        List<String> fileIds = new ArrayList<>();
        List<Document> jobDocuments = new ArrayList<>();
        List<Document> files = new ArrayList<>();
        List<Document> chunks = new ArrayList<>();
        byte[] data = new byte[CHUNK];
        for (int i = 0; i < jobs; i++) {
            ObjectId file = new ObjectId();
            fileIds.add(file.toHexString());
            jobDocuments.add(new Document("_id", "job-" + i).append("owner", new Document("userId", "user-" + i % USERS))
                    .append("state", "DONE").append("createdAt", new Date(1_700_000_000_000L + i * 1000L))
                    .append("mp3", new Document("fileId", file.toHexString()).append("bytes", 2 * CHUNK)));
            files.add(new Document("_id", file).append("length", 2L * CHUNK).append("chunkSize", CHUNK)
                    .append("uploadDate", new Date()).append("filename", "f.mp3"));
            chunks.add(new Document("files_id", file).append("n", 0).append("data", new Binary(data)));
            chunks.add(new Document("files_id", file).append("n", 1).append("data", new Binary(data)));
            if (chunks.size() >= 1000) {
                db.getCollection("mp3s.chunks").insertMany(chunks);
                chunks.clear();
            }
        }
        jobsCollection.insertMany(jobDocuments);
        db.getCollection("mp3s.files").insertMany(files);
        if (!chunks.isEmpty()) {
            db.getCollection("mp3s.chunks").insertMany(chunks);
        }
        return fileIds;
    }

    @FunctionalInterface
    private interface Query {
        void run(MongoDatabase db, String fileId, int i) throws Exception;
    }

    @Test
    void theServicesQueriesStayAsFastAsCollectionsGrow() throws Exception {
        try (RunningStandIn standIn = RunningStandIn.open(dir.resolve("latency.mv"))) {
            MongoDatabase small = standIn.database("small");
            MongoDatabase large = standIn.database("large");
            List<String> smallFiles = fill(small, SMALL);
            List<String> largeFiles = fill(large, LARGE);
            Map<String, Query> queries = new LinkedHashMap<>();
            queries.put("job by mp3.fileId", (db, fileId, i) -> assertEquals(1, db.getCollection("jobs")
                    .find(Filters.and(Filters.eq("mp3.fileId", fileId), Filters.eq("owner.userId", "user-" + i % USERS)))
                    .into(new ArrayList<>()).size()));
            queries.put("a page of a user's jobs", (db, fileId, i) -> assertEquals(5, db.getCollection("jobs")
                    .find(Filters.eq("owner.userId", "user-3")).sort(Sorts.descending("createdAt", "_id")).skip(5).limit(5)
                    .into(new ArrayList<>()).size()));
            queries.put("an MP3 read (GridFS)", (db, fileId, i) -> {
                GridFSBucket mp3s = GridFSBuckets.create(db, "mp3s");
                try (InputStream in = mp3s.openDownloadStream(new ObjectId(fileId)).batchSize(8)) {
                    assertEquals(2 * CHUNK, in.transferTo(OutputStream.nullOutputStream()));
                }
            });
            queries.put("a chunk upsert on (files_id, n)", (db, fileId, i) -> db.getCollection("mp3s.chunks").replaceOne(
                    Filters.and(Filters.eq("files_id", new ObjectId(fileId)), Filters.eq("n", 1)),
                    new Document("files_id", new ObjectId(fileId)).append("n", 1).append("data", new Binary(new byte[CHUNK])),
                    new ReplaceOptions().upsert(true)));
            for (Map.Entry<String, Query> query : queries.entrySet()) {
                List<Double> smallMs = new ArrayList<>();
                List<Double> largeMs = new ArrayList<>();
                for (int i = 0; i < REPEATS + 10; i++) {
                    double a = time(query.getValue(), small, smallFiles.get(i % SMALL), i % SMALL);
                    double b = time(query.getValue(), large, largeFiles.get(i * 197 % LARGE), i * 197 % LARGE);
                    if (i >= 10) { // warm-up not counted
                        smallMs.add(a);
                        largeMs.add(b);
                    }
                }
                double ratio = median(largeMs) / median(smallMs);
                System.out.printf("%-32s %d docs: %.3f ms, %d docs: %.3f ms, ratio %.2f%n", query.getKey(), SMALL,
                        median(smallMs), LARGE, median(largeMs), ratio);
                assertTrue(ratio < MAX_RATIO, query.getKey() + " is " + ratio + " times slower with " + LARGE + " jobs than with " + SMALL);
            }
        }
    }

    private static double time(Query query, MongoDatabase db, String fileId, int i) throws Exception {
        long start = System.nanoTime();
        query.run(db, fileId, i);
        return (System.nanoTime() - start) / 1e6;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
