package com.mp3converter.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSUploadStream;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.IdempotentGridFs;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.IdempotencyKeys;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;

import org.bson.BsonObjectId;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.ObjectId;

/**
 * What the services ask of MongoDB for each job, in one database: the gateway's job store (its own class), GridFS
 * as the gateway and the transcoder use it, the idempotency keys and the leases (their own classes), and the query
 * shapes of the outbox relay, the transcoder's
 * conversions and the mailer's deliveries (those classes are not public; their filters are repeated here).
 */
final class ServiceTraffic implements AutoCloseable {
    private static final String CLAIMANT = "bench-gateway";
    private static final Duration LEASE = Duration.ofSeconds(30);

    final MongoConnection mongo;
    final JobStore jobs;
    private final IdempotencyKeys keys;
    private final MongoDatabase db;
    private final GridFSBucket videos;
    private final GridFSBucket mp3s;
    private final IdempotentGridFs mp3Writer;
    private final MongoCollection<Document> jobDocuments;
    private final MongoCollection<Document> conversions;
    private final MongoCollection<Document> deliveries;
    private final Random random = new Random(29);
    private final byte[] block = new byte[1 << 20];

    ServiceTraffic(String uri, String database) {
        mongo = new MongoConnection(uri, database);
        db = mongo.database();
        jobs = new JobStore(mongo, Clock.systemUTC(), LEASE);
        keys = new IdempotencyKeys(mongo, LEASE, Clock.systemUTC(), () -> UUID.randomUUID().toString());
        jobs.createIndexes();
        mp3Writer = new IdempotentGridFs(db, MongoConnection.MP3_BUCKET);
        mp3Writer.createIndexes();
        videos = mongo.videos();
        mp3s = mongo.mp3s();
        jobDocuments = db.getCollection("jobs");
        conversions = db.getCollection("conversions");
        deliveries = db.getCollection("deliveries");
        deliveries.createIndex(Indexes.ascending("jobId")); // as the mailer's DeliveryStore declares them
        deliveries.createIndex(Indexes.ascending("owner"));
        deliveries.createIndex(Indexes.compoundIndex(Indexes.ascending("state"), Indexes.ascending("nextAttemptAt")));
        deliveries.createIndex(Indexes.ascending("reported"));
        random.nextBytes(block);
    }

    /** A finished job as the pipeline leaves it; its MP3 stays, its video is deleted. */
    record Done(String jobId, String userId, String mp3FileId) {
    }

    /**
     * One job through every service: upload (GridFS write, job insert, idempotency key), the video outbox,
     * the transcoder (claim, video read, MP3 write by upserts, outcome), the fold (job by id, versioned update,
     * video delete), the notice outbox and the mailer's delivery.
     */
    Done job(String userId, long videoBytes, long mp3Bytes) throws IOException {
        String jobId = UUID.randomUUID().toString();
        ObjectId video = new ObjectId();
        writeVideo(video, videoBytes);
        jobs.insert(Job.uploaded(jobId, new Events.Owner(userId, userId + "@example.com"), "clip.mp4", videoBytes,
                video.toHexString(), Events.Options.DEFAULT, Map.of(), Instant.now()));
        if (keys.reserve(userId, jobId, id -> false) instanceof IdempotencyKeys.Reserved reserved) {
            keys.used(reserved);
        }
        relay("video");

        conversions.findOneAndUpdate(Filters.eq("_id", jobId), Updates.inc("attempts", 1),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
        readVideo(video);
        ObjectId mp3 = new ObjectId();
        writeMp3(mp3, mp3Bytes);
        conversions.updateOne(Filters.eq("_id", jobId), Updates.set("outcome", new Document("type", "conversion.done")
                .append("attempt", 1).append("body", new Binary(new byte[200]))));

        Job before = jobs.find(jobId).orElseThrow();
        Date now = new Date();
        jobDocuments.updateOne(Filters.and(Filters.eq("_id", jobId), Filters.eq("version", before.version())),
                Updates.combine(Updates.set("state", "DONE"), Updates.set("progress", 1.0), Updates.set("videoFileId", null),
                        Updates.set("mp3", new Document("fileId", mp3.toHexString()).append("bytes", mp3Bytes)
                                .append("durationSeconds", 60.0)),
                        Updates.set("finishedAt", now), Updates.set("updatedAt", now),
                        Updates.set("outbox.notice.pending", true), Updates.inc("version", 1)));
        videos.delete(video);
        relay("notice");
        deliver(jobId);
        return new Done(jobId, userId, mp3.toHexString());
    }

    void writeVideo(ObjectId id, long bytes) throws IOException {
        try (GridFSUploadStream out = videos.openUploadStream(new BsonObjectId(id), "clip.mp4")) {
            write(out, bytes);
        }
    }

    long readVideo(ObjectId id) throws IOException {
        try (InputStream in = videos.openDownloadStream(id).batchSize(MongoConnection.CHUNKS_PER_BATCH)) {
            return in.transferTo(OutputStream.nullOutputStream());
        }
    }

    void deleteVideo(ObjectId id) {
        videos.delete(id);
    }

    /** The transcoder's write: every chunk an upsert on (files_id, n). */
    void writeMp3(ObjectId id, long bytes) throws IOException {
        mp3Writer.write(new BsonObjectId(id), "clip.mp3", new Document("jobId", id.toHexString()), new InputStream() {
            private long left = bytes;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(Math.min(len, left), block.length);
                System.arraycopy(block, 0, b, off, n);
                left -= n;
                return n;
            }
        });
    }

    /** The gateway's download: the file record as the stream opens, then its chunks in order, eight per round trip. */
    long download(String mp3FileId) throws IOException {
        try (InputStream in = mp3s.openDownloadStream(new ObjectId(mp3FileId)).batchSize(MongoConnection.CHUNKS_PER_BATCH)) {
            return in.transferTo(OutputStream.nullOutputStream());
        }
    }

    void deleteMp3(String mp3FileId) {
        mp3s.delete(new ObjectId(mp3FileId));
    }

    /** The outbox relay's round: pending jobs nobody holds, oldest first; claim, publishing id, published. */
    List<String> relay(String box) {
        String field = "outbox." + box;
        Lease lease = outboxLease(box);
        List<String> pending = pending(box);
        for (String jobId : pending) {
            lease.claim(Filters.and(Filters.eq("_id", jobId), Filters.eq(field + ".pending", true)), CLAIMANT, null);
            jobDocuments.findOneAndUpdate(Filters.and(Filters.eq("_id", jobId), Filters.exists(field + ".publishingIds.p", false)),
                    Updates.set(field + ".publishingIds.p", 1L), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            jobDocuments.updateOne(Filters.eq("_id", jobId), Updates.combine(Updates.set(field + ".pending", false),
                    lease.freed(), Updates.set(field + ".publishedAt", new Date())));
        }
        return pending;
    }

    List<String> pending(String box) {
        return jobDocuments.find(Filters.and(Filters.eq("outbox." + box + ".pending", true), outboxLease(box).free()))
                .sort(Sorts.ascending("createdAt")).limit(10).map(d -> d.getString("_id")).into(new java.util.ArrayList<>());
    }

    private Lease outboxLease(String box) {
        return new Lease(jobDocuments, "outbox." + box + ".", LEASE, Clock.systemUTC());
    }

    /** The transcoder's claim of a job's conversion: an upsert by id. */
    void claimConversion(String jobId) {
        conversions.findOneAndUpdate(Filters.eq("_id", jobId), Updates.inc("attempts", 1),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
    }

    /** The mailer's delivery of a job's notice: claim (an upsert), sent, the unreported round, reported. */
    void deliver(String jobId) {
        String id = jobId + ":job.done";
        Date now = new Date();
        Lease lease = new Lease(deliveries, "", LEASE, Clock.systemUTC());
        lease.claim(Filters.and(Filters.eq("_id", id), Filters.in("state", "SENDING", "DEFERRED")), CLAIMANT,
                Updates.combine(Updates.setOnInsert("jobId", jobId), Updates.setOnInsert("kind", "job.done"),
                        Updates.setOnInsert("firstAttemptAt", now), Updates.set("state", "SENDING"),
                        Updates.inc("attempts", 1), Updates.set("lastAttemptAt", now)),
                new FindOneAndUpdateOptions().upsert(true));
        deliveries.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("state", "SENT"), Updates.set("reported", false),
                lease.freed()));
        for (Document unreported : deliveries.find(Filters.eq("reported", false)).limit(100)) {
            deliveries.updateOne(Filters.eq("_id", unreported.get("_id")), Updates.set("reported", true));
        }
    }

    private void write(OutputStream out, long bytes) throws IOException {
        for (long left = bytes; left > 0; left -= block.length) {
            out.write(block, 0, (int) Math.min(block.length, left));
        }
    }

    void drop() {
        db.drop();
    }

    @Override
    public void close() {
        mongo.close();
    }
}
