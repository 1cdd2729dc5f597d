package com.mp3converter.common.mongo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Date;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mp3converter.common.server.Threads;

import org.bson.BsonValue;
import org.bson.Document;
import org.bson.types.Binary;

/**
 * Writes a GridFS file under an id chosen by the caller so that writing it again, even concurrently from a second
 * process, leaves exactly one file: every chunk is an upsert on (files_id, n), chunks past the new end are removed,
 * and the files document, written last, is an upsert on its id. Readers see the file only once its files document
 * exists; the driver's own upload stream cannot do this (it inserts new chunk documents every time). A write that
 * stops half-way (the process died) leaves chunks without a files document, which the next write of the same id
 * overwrites and {@link #delete} removes.
 */
public final class IdempotentGridFs {
    public static final int CHUNK_BYTES = 255 * 1024;
    /** Full chunks waiting for their upsert while the producer goes on: about 1 MiB. */
    private static final int QUEUED_CHUNKS = 4;

    private final MongoCollection<Document> files;
    private final MongoCollection<Document> chunks;

    public IdempotentGridFs(MongoDatabase database, String bucket) {
        this.files = database.getCollection(bucket + ".files");
        this.chunks = database.getCollection(bucket + ".chunks");
    }

    /** The index GridFS readers and these upserts rely on; creating an existing index is a no-op. */
    public void createIndexes() {
        chunks.createIndex(Indexes.ascending("files_id", "n"), new IndexOptions().unique(true));
        files.createIndex(Indexes.ascending("filename", "uploadDate"));
    }

    /** Writes {@code content} as file {@code id}; the number of bytes written. */
    public long write(BsonValue id, String filename, Document metadata, InputStream content) throws IOException {
        try (Writer writer = open(id, 0)) {
            byte[] buffer = new byte[CHUNK_BYTES];
            for (int read = content.read(buffer); read >= 0; read = content.read(buffer)) {
                writer.write(ByteBuffer.wrap(buffer, 0, read));
            }
            return writer.finish(filename, metadata);
        }
    }

    /**
     * Starts file {@code id}, written as it is produced: each chunk is upserted by a background thread as soon as it
     * is full, except those holding the first {@code head} bytes, which stay in memory (and may be
     * {@linkplain Writer#patch patched}) until {@link Writer#finish} writes them, last before the files document.
     */
    public Writer open(BsonValue id, long head) {
        return new Writer(id, head);
    }

    /** Removes file {@code id}: its files document first (readers stop seeing it), then every chunk, finished or not. */
    public void delete(BsonValue id) {
        files.deleteOne(Filters.eq("_id", id));
        chunks.deleteMany(Filters.eq("files_id", id));
    }

    /** Chunk {@code n} of a file being written. */
    private record Chunk(int n, byte[] data) {
    }

    private void upsert(BsonValue id, int n, byte[] data) {
        chunks.replaceOne(Filters.and(Filters.eq("files_id", id), Filters.eq("n", n)),
                new Document("files_id", id).append("n", n).append("data", new Binary(data)), new ReplaceOptions().upsert(true));
    }

    /**
     * One file being written: bytes appended in order, the head's bytes patched in place. Not thread-safe: one
     * producer. A failed upsert (MongoDB unreachable) is thrown from the next call as the driver's exception.
     */
    public final class Writer implements AutoCloseable {
        private static final Chunk END = new Chunk(-1, null);
        private final BsonValue id;
        private final long head;
        private final Map<Integer, byte[]> held = new TreeMap<>();
        private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
        private final Thread upserter;
        private volatile RuntimeException failed;
        private byte[] current = new byte[CHUNK_BYTES];
        private int filled;
        private int n;
        private boolean finished;

        private Writer(BsonValue id, long head) {
            this.id = id;
            this.head = head;
            this.upserter = Thread.ofVirtual().name("gridfs-write-" + id).start(this::upsertQueued);
        }

        /** Bytes written so far: where the next {@link #write} goes. */
        public long position() {
            return (long) n * CHUNK_BYTES + filled;
        }

        /** Appends {@code bytes} (all of them). */
        public void write(ByteBuffer bytes) {
            while (bytes.hasRemaining()) {
                int take = Math.min(bytes.remaining(), CHUNK_BYTES - filled);
                bytes.get(current, filled, take);
                filled += take;
                if (filled == CHUNK_BYTES) {
                    complete(current);
                    current = new byte[CHUNK_BYTES];
                    filled = 0;
                    n++;
                }
            }
        }

        /** Overwrites written bytes from {@code position}; they must lie in the first {@code head} bytes. */
        public void patch(long position, ByteBuffer bytes) {
            if (position < 0 || position + bytes.remaining() > Math.min(head, position())) {
                throw new IllegalArgumentException("bytes " + position + ".." + (position + bytes.remaining())
                        + " are not in the head of " + head + " bytes written so far");
            }
            while (bytes.hasRemaining()) {
                int chunk = (int) (position / CHUNK_BYTES);
                int at = (int) (position % CHUNK_BYTES);
                byte[] target = chunk == n ? current : held.get(chunk);
                int take = Math.min(bytes.remaining(), CHUNK_BYTES - at);
                bytes.get(target, at, take);
                position += take;
            }
        }

        /**
         * Writes what is left, then the files document with this name and metadata: the file exists from now on;
         * its length in bytes.
         */
        public long finish(String filename, Document metadata) {
            long length = position();
            if (filled > 0 || n == 0) {
                complete(Arrays.copyOf(current, filled));
            }
            enqueue(END);
            Threads.awaitEnd(upserter);
            rethrow();
            held.forEach((chunk, data) -> upsert(id, chunk, data));
            int count = (int) ((length + CHUNK_BYTES - 1) / CHUNK_BYTES);
            chunks.deleteMany(Filters.and(Filters.eq("files_id", id), Filters.gte("n", count)));
            files.replaceOne(Filters.eq("_id", id), new Document("_id", id).append("length", length)
                    .append("chunkSize", CHUNK_BYTES).append("uploadDate", new Date()).append("filename", filename)
                    .append("metadata", metadata), new ReplaceOptions().upsert(true));
            finished = true;
            return length;
        }

        /** Stops the background upserts; without {@link #finish} the file stays unseen (its chunks may stay). */
        @Override
        public void close() {
            if (!finished) {
                upserter.interrupt();
                Threads.awaitEnd(upserter);
            }
        }

        private void complete(byte[] chunk) {
            if (chunk.length == 0) {
                return; // an empty file has no chunk
            }
            if ((long) n * CHUNK_BYTES < head) {
                held.put(n, chunk);
            } else {
                enqueue(new Chunk(n, chunk));
            }
        }

        private void enqueue(Chunk chunk) {
            try {
                do {
                    rethrow(); // the upserts stopped: no room will come
                } while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MongoInterruptedException("interrupted while writing " + id, e);
            }
        }

        private void upsertQueued() {
            try {
                for (Chunk next = queue.take(); next != END; next = queue.take()) {
                    upsert(id, next.n(), next.data());
                }
            } catch (InterruptedException e) {
                // closed without finishing
            } catch (RuntimeException e) {
                failed = e;
            }
        }

        private void rethrow() {
            RuntimeException e = failed;
            if (e != null) {
                throw e instanceof MongoException m ? m : new MongoException("writing " + id + " failed", e);
            }
        }
    }
}
