package com.mp3converter.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Updates;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.Lease;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.StoredOptions;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;
import org.bson.types.ObjectId;

/**
 * The uploads in progress, in {@code uploads}. Multipart uploads ({@code POST /upload}) are recorded only while they
 * stream in, so that they count against the quota like the others and a gateway that dies mid-way leaves a record
 * the housekeeping removes their bytes by. Resumable uploads behind {@code /files/} (tus 1.0): a record per upload, and its bytes as
 * the chunks of a GridFS file in the videos bucket, written as they arrive. The offset is stored as they go and
 * whenever a request ends, cut or not, so a cut connection keeps every byte received; a partial last chunk waits in the upload record until it fills. The
 * GridFS file record is written only when the last byte is in, which is when the upload becomes a job. One writer
 * at a time: a request holds a lease on the upload while it appends.
 */
public final class ResumableUploads {
    /** GridFS's default chunk size, so the finished file reads like any other. */
    static final int CHUNK_SIZE = 255 * 1024;
    /**
     * The offset is stored after this many chunks (2 MiB) rather than after each: a gateway that dies mid-request
     * makes the client send at most that much again, and a fast upload makes an eighth of the offset writes.
     */
    private static final int CHUNKS_PER_OFFSET = 8;
    private static final String MULTIPART = "multipart";

    private final MongoCollection<Document> uploads;
    private final MongoCollection<Document> chunks;
    private final MongoCollection<Document> files;
    private final Clock clock;
    private final Duration expiry;
    private final Lease lease;
    private final Supplier<String> jobIds;

    /** One upload as stored. {@code jobId} is chosen at creation; the job exists once {@code finishedAt} is set. */
    public record Upload(String id, Events.Owner owner, long length, long offset, String fileId, String jobId,
                         String name, Events.Options options, String metadata, String contentType, Instant expiresAt,
                         Instant finishedAt, boolean multipart) {
        /** All its bytes are in (a resumable upload; a multipart one is complete only as a job). */
        boolean complete() {
            return !multipart && offset == length;
        }

        Upload at(long newOffset) {
            return new Upload(id, owner, length, newOffset, fileId, jobId, name, options, metadata, contentType,
                    expiresAt, finishedAt, multipart);
        }

        Upload finished(String sniffedType, Instant at) {
            return new Upload(id, owner, length, offset, fileId, jobId, name, options, metadata, sniffedType,
                    expiresAt, at, multipart);
        }

        static Upload of(Document d) {
            Document owner = d.get("owner", Document.class);
            return new Upload(d.getString("_id"), new Events.Owner(owner.getString("userId"), owner.getString("email")),
                    ((Number) d.get("length")).longValue(), ((Number) d.get("offset")).longValue(),
                    d.getString("fileId"), d.getString("jobId"), d.getString("name"),
                    StoredOptions.from(d.get("options", Document.class)),
                    d.getString("metadata"), d.getString("contentType"), instant(d, "expiresAt"), instant(d, "finishedAt"),
                    MULTIPART.equals(d.getString("kind")));
        }

        private static Instant instant(Document d, String field) {
            Date date = d.getDate(field);
            return date == null ? null : date.toInstant();
        }
    }

    /** Why a request could not take an upload for writing. */
    public enum Refusal { NOT_FOUND, WRONG_OFFSET, BUSY }

    /** An upload taken for writing by one request, or why not. */
    public record Lock(Upload upload, String holder, Refusal refusal) {
    }

    /** {@code jobIds}: where the job id a finished upload becomes comes from. */
    public ResumableUploads(MongoConnection mongo, Clock clock, Duration expiry, Duration lease, Supplier<String> jobIds) {
        this.jobIds = jobIds;
        this.uploads = mongo.database().getCollection("uploads");
        this.chunks = mongo.database().getCollection(MongoConnection.VIDEOS_BUCKET + ".chunks");
        this.files = mongo.database().getCollection(MongoConnection.VIDEOS_BUCKET + ".files");
        this.clock = clock;
        this.expiry = expiry;
        this.lease = new Lease(uploads, "", lease, clock);
    }

    public void createIndexes() {
        uploads.createIndex(Indexes.ascending("owner.userId"));
        uploads.createIndex(Indexes.ascending("expiresAt"));
        chunks.createIndex(Indexes.compoundIndex(Indexes.ascending("files_id"), Indexes.ascending("n")),
                new IndexOptions().unique(true));
    }

    /**
     * Records a multipart upload that starts streaming into file {@code fileId}, reserving {@code bytes} of the
     * owner's quota, held by this request: renew it with {@link #stillReceiving}; once its job exists,
     * {@link #received}. Not renewed for a lease (its gateway died), it expires and the housekeeping removes its bytes.
     */
    public Lock receiving(String fileId, String jobId, Events.Owner owner, long bytes) {
        String holder = new ObjectId().toHexString();
        Instant now = clock.instant();
        Document d = lease.claim(Filters.eq("_id", MULTIPART + "-" + fileId), holder, Updates.combine(
                        Updates.setOnInsert("kind", MULTIPART),
                        Updates.setOnInsert("owner", new Document("userId", owner.userId()).append("email", owner.email())),
                        Updates.setOnInsert("length", bytes), Updates.setOnInsert("offset", 0L),
                        Updates.setOnInsert("fileId", fileId), Updates.setOnInsert("jobId", jobId),
                        Updates.setOnInsert("options", new Document()), Updates.setOnInsert("createdAt", Date.from(now)),
                        Updates.setOnInsert("finishedAt", null),
                        Updates.set("expiresAt", Date.from(now.plus(lease.duration())))),
                new FindOneAndUpdateOptions().upsert(true)).orElseThrow();
        return new Lock(Upload.of(d), holder, null);
    }

    /** The multipart upload goes on: it keeps its record; false when the record was lost meanwhile. */
    public boolean stillReceiving(Lock lock) {
        return lease.renew(lock.upload().id(), lock.holder(),
                Updates.set("expiresAt", Date.from(clock.instant().plus(lease.duration()))));
    }

    /** The multipart upload is a job now: its bytes are the job's, its record goes. */
    public void received(Lock lock) {
        uploads.deleteOne(Filters.eq("_id", lock.upload().id()));
    }

    /** How often a request writing an upload renews its hold: well within the lease. */
    public Duration renewEvery() {
        return lease.duration().dividedBy(4);
    }

    public Upload create(String id, Events.Owner owner, long length, String name, Events.Options options, String metadata) {
        Instant now = clock.instant();
        Document d = new Document("_id", id).append("kind", "tus")
                .append("owner", new Document("userId", owner.userId()).append("email", owner.email()))
                .append("length", length).append("offset", 0L)
                .append("fileId", new ObjectId().toHexString()).append("jobId", jobIds.get())
                .append("name", name)
                .append("options", StoredOptions.toDocument(options))
                .append("metadata", metadata).append("contentType", null)
                .append("createdAt", Date.from(now)).append("expiresAt", Date.from(now.plus(expiry)))
                .append("finishedAt", null)
                .append("tail", null);
        uploads.insertOne(d);
        return Upload.of(d);
    }

    public Optional<Upload> find(String id, String userId) {
        return Optional.ofNullable(uploads.find(owned(id, userId)).first()).map(Upload::of);
    }

    /** Takes the upload for writing at {@code offset}: refused when it is not there, not at that offset, or taken. */
    public Lock lock(String id, String userId, long offset) {
        String holder = new ObjectId().toHexString();
        Optional<Document> taken = lease.claim(Filters.and(owned(id, userId), Filters.eq("offset", offset)), holder, null);
        if (taken.isPresent()) {
            return new Lock(Upload.of(taken.get()), holder, null);
        }
        Optional<Upload> upload = find(id, userId);
        if (upload.isEmpty()) {
            return new Lock(null, null, Refusal.NOT_FOUND);
        }
        return new Lock(upload.get(), null, upload.get().offset() != offset ? Refusal.WRONG_OFFSET : Refusal.BUSY);
    }

    /**
     * Appends the request's bytes at the upload's offset: each chunk goes into the GridFS chunks as it fills, the
     * offset is stored every few chunks and when the request ends; a partial last chunk is kept in the upload record (the tail) until more bytes fill it,
     * so chunks are only ever inserted. On a cut the bytes received so far are stored before the failure goes on.
     * {@code firstBytes} sees the upload's first bytes (up to {@code headBytes}) once, before they are stored; it
     * throws to refuse. Returns the upload with its new offset.
     */
    public Upload append(Lock lock, InputStream in, int headBytes, Consumer<byte[]> firstBytes) throws IOException {
        Upload upload = lock.upload();
        if (upload.complete()) {
            return upload; // every byte is in (its job may wait to be made): nothing to append
        }
        ObjectId fileId = new ObjectId(upload.fileId());
        int n = (int) (upload.offset() / CHUNK_SIZE);
        byte[] buffer = new byte[CHUNK_SIZE];
        int fill = (int) (upload.offset() % CHUNK_SIZE);
        if (fill > 0) {
            byte[] tail = tail(upload.id());
            if (tail.length != fill) {
                throw new IllegalStateException("upload " + upload.id() + " has " + tail.length + " tail bytes, not " + fill);
            }
            System.arraycopy(tail, 0, buffer, 0, fill);
        }
        int head = (int) Math.min(headBytes, upload.length());
        boolean checked = upload.offset() >= head;
        long stored = upload.offset();
        int chunksNotRecorded = 0;
        long renewed = System.nanoTime();
        try {
            while (n * (long) CHUNK_SIZE + fill < upload.length()) {
                int want = (int) Math.min(CHUNK_SIZE - fill, upload.length() - n * (long) CHUNK_SIZE - fill);
                int read = in.read(buffer, fill, want);
                if (read < 0) {
                    break;
                }
                fill += read;
                if (!checked && n == 0 && fill >= head) {
                    firstBytes.accept(Arrays.copyOf(buffer, head));
                    checked = true;
                }
                long position = n * (long) CHUNK_SIZE + fill;
                if (fill == CHUNK_SIZE || position == upload.length()) {
                    writeChunk(fileId, n, buffer, fill);
                    if (++chunksNotRecorded == CHUNKS_PER_OFFSET || position == upload.length()) {
                        stored = record(lock, position, null);
                        chunksNotRecorded = 0;
                        renewed = System.nanoTime();
                    }
                    if (fill == CHUNK_SIZE) {
                        n++;
                        fill = 0;
                    }
                }
                if (System.nanoTime() - renewed > renewEvery().toNanos()) {
                    renewed = System.nanoTime();
                    renew(lock);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // a stalled body is ended by interrupting this thread: clear that so the bytes received can be stored
            Thread.interrupted();
            recordEnd(lock, n, buffer, fill, stored);
            throw e;
        }
        return upload.at(recordEnd(lock, n, buffer, fill, stored));
    }

    /** Where a request ends: what arrived after the last stored offset is kept (a partial chunk as the tail). */
    private long recordEnd(Lock lock, int n, byte[] buffer, int fill, long stored) {
        long position = n * (long) CHUNK_SIZE + fill;
        return position > stored ? record(lock, position, fill > 0 ? Arrays.copyOf(buffer, fill) : null) : stored;
    }

    /** Stores the offset, and the bytes of a partial last chunk (the tail) when there are some. */
    private long record(Lock lock, long offset, byte[] tail) {
        advance(lock, Updates.combine(Updates.set("offset", offset), Updates.set("tail", tail == null ? null : new Binary(tail))));
        return offset;
    }

    /** Ends a request's hold on the upload. */
    public void release(Lock lock) {
        lease.release(lock.upload().id(), lock.holder(), null);
    }

    public void sniffed(String id, String contentType) {
        uploads.updateOne(Filters.eq("_id", id), Updates.set("contentType", contentType));
    }

    /**
     * Writes the GridFS file record for a complete upload (its chunks are all there), so the transcoder can read it
     * like any upload. Safe to repeat.
     */
    public void writeFileRecord(Upload upload) {
        Document metadata = new Document("owner", upload.owner().userId()).append("jobId", upload.jobId())
                .append("sourceName", upload.name()).append("contentType", upload.contentType());
        ObjectId fileId = new ObjectId(upload.fileId());
        files.replaceOne(Filters.eq("_id", fileId), new Document("_id", fileId).append("length", upload.length())
                .append("chunkSize", CHUNK_SIZE).append("uploadDate", Date.from(clock.instant()))
                .append("filename", upload.name()).append("metadata", metadata), new ReplaceOptions().upsert(true));
    }

    /** The upload is a job now: its record stays (HEAD names the job) until it expires; its bytes belong to the job. */
    public Instant finished(String id) {
        Instant now = clock.instant();
        uploads.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("finishedAt", Date.from(now)),
                Updates.set("expiresAt", Date.from(now.plus(expiry)))));
        return now;
    }

    /** Removes an upload: its record, and its bytes unless it became a job. */
    public void delete(Upload upload) {
        if (upload.finishedAt() == null) {
            ObjectId fileId = new ObjectId(upload.fileId());
            files.deleteOne(Filters.eq("_id", fileId));
            chunks.deleteMany(Filters.eq("files_id", fileId));
        }
        uploads.deleteOne(Filters.eq("_id", upload.id()));
    }

    /** Every upload record of a user, of either kind, finished or not (to delete an account). */
    public List<Upload> of(String userId, int limit) {
        List<Upload> all = new ArrayList<>();
        uploads.find(Filters.eq("owner.userId", userId)).limit(limit).forEach(d -> all.add(Upload.of(d)));
        return all;
    }

    /** Uploads past their expiry and not being written now, oldest first. */
    public List<Upload> expired(int limit) {
        Date now = Date.from(clock.instant());
        List<Upload> expired = new ArrayList<>();
        uploads.find(Filters.and(Filters.lt("expiresAt", now), lease.free()))
                .sort(Indexes.ascending("expiresAt")).limit(limit).forEach(d -> expired.add(Upload.of(d)));
        return expired;
    }

    /** Bytes the user's unfinished uploads have reserved (their declared lengths). */
    public long unfinishedBytes(String userId) {
        long total = 0;
        for (Document d : uploads.find(unfinished(userId)).projection(new Document("length", 1))) {
            total += ((Number) d.get("length")).longValue();
        }
        return total;
    }

    public long unfinishedCount(String userId) {
        return uploads.countDocuments(unfinished(userId));
    }

    private static Bson unfinished(String userId) {
        return Filters.and(Filters.eq("owner.userId", userId), Filters.eq("finishedAt", null));
    }

    /** A user's resumable upload (a multipart one in progress is nobody's to resume). */
    private static Bson owned(String id, String userId) {
        return Filters.and(Filters.eq("_id", id), Filters.eq("owner.userId", userId), Filters.ne("kind", MULTIPART));
    }

    /** Keeps the lease (and pushes the expiry back) while bytes arrive. */
    private void renew(Lock lock) {
        advance(lock, null);
    }

    private void advance(Lock lock, Bson change) {
        Bson expires = Updates.set("expiresAt", Date.from(clock.instant().plus(expiry)));
        if (!lease.renew(lock.upload().id(), lock.holder(), change == null ? expires : Updates.combine(change, expires))) {
            throw new LostLockException();
        }
    }

    /** Another request took the upload over after this one's lease ran out: this one stops writing. */
    public static final class LostLockException extends RuntimeException {
        LostLockException() {
            super("the upload was taken over by another request", null, false, false);
        }
    }

    private byte[] tail(String id) {
        Document d = uploads.find(Filters.eq("_id", id)).projection(new Document("tail", 1)).first();
        Binary tail = d == null ? null : d.get("tail", Binary.class);
        return tail == null ? new byte[0] : tail.getData();
    }

    /**
     * Inserts the chunk (the usual case: bytes not stored before); a chunk already there (a partial last chunk, or one
     * written before a crash kept its offset from advancing) is replaced.
     */
    private void writeChunk(ObjectId fileId, int n, byte[] buffer, int length) {
        byte[] data = length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
        Document chunk = new Document("files_id", fileId).append("n", n).append("data", new Binary(data));
        try {
            chunks.insertOne(chunk);
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            chunks.replaceOne(Filters.and(Filters.eq("files_id", fileId), Filters.eq("n", n)), chunk);
        }
    }
}
