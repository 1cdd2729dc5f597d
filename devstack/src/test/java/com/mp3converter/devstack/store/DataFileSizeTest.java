package com.mp3converter.devstack.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSBuckets;
import com.mongodb.client.gridfs.GridFSUploadStream;

import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data file stays within 2 × the live data + 256 MiB while GridFS files are written and deleted
 * continuously (2.4 GiB written, a quarter of it kept): sampled every 50 ms from another thread, not only at the
 * end, because the stand-in compacts while it runs. What was kept reads back intact, also after a restart.
 */
class DataFileSizeTest {
    private static final long MIB = 1 << 20;
    private static final long SLACK = 256 * MIB;
    private static final int ROUNDS = 12;
    private static final int FILES_PER_ROUND = 4;
    private static final int FILE_MIB = 50;

    @TempDir
    Path dir;

    @Test
    void theFileStaysNearTheLiveDataWhileFilesComeAndGo() throws Exception {
        byte[] block = new byte[(int) MIB];
        new Random(29).nextBytes(block);
        List<ObjectId> kept = new ArrayList<>();
        RunningStandIn standIn = RunningStandIn.open(dir.resolve("files.mv"));
        AtomicLong worst = new AtomicLong(Long.MIN_VALUE);
        AtomicLong samples = new AtomicLong();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long excess = standIn.backend.fileSize() - (2 * standIn.backend.liveData() + SLACK);
                worst.accumulateAndGet(excess, Math::max);
                samples.incrementAndGet();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            GridFSBucket bucket = GridFSBuckets.create(standIn.database("files"), "videos");
            for (int round = 0; round < ROUNDS; round++) {
                List<ObjectId> written = new ArrayList<>();
                for (int i = 0; i < FILES_PER_ROUND; i++) {
                    ObjectId id;
                    try (GridFSUploadStream out = bucket.openUploadStream("video-" + round + "-" + i)) {
                        for (int m = 0; m < FILE_MIB; m++) {
                            block[0] = (byte) m;
                            out.write(block);
                        }
                        id = out.getObjectId();
                    }
                    written.add(id);
                }
                kept.add(written.removeFirst());
                written.forEach(bucket::delete);
            }
            sampler.interrupt();
            sampler.join();
            long live = standIn.backend.liveData();
            long file = standIn.backend.fileSize();
            System.out.printf("written %d MiB, live %d MiB, file %d MiB, closest to the bound %d MiB below it (%d samples)%n",
                    ROUNDS * FILES_PER_ROUND * FILE_MIB, live / MIB, file / MIB, -worst.get() / MIB, samples.get());
            assertTrue(live >= kept.size() * FILE_MIB * MIB, "live data counts what was kept: " + live);
            assertTrue(samples.get() > 20, "sampled while writing");
            assertTrue(worst.get() <= 0, "the file exceeded 2 × live + 256 MiB by " + worst.get() / MIB + " MiB; at the end "
                    + file / MIB + " MiB for " + live / MIB + " MiB live");
            byte[] digest = digest(bucket, kept.getLast());
            RunningStandIn again = standIn.reopen();
            try {
                GridFSBucket reopened = GridFSBuckets.create(again.database("files"), "videos");
                assertArrayEquals(digest, digest(reopened, kept.getLast()));
                assertEquals(live, again.backend.liveData());
                assertTrue(again.backend.fileSize() <= 2 * live + SLACK);
                for (ObjectId id : kept) {
                    assertEquals(FILE_MIB * MIB, reopened.find(new org.bson.Document("_id", id)).first().getLength());
                }
            } finally {
                again.close();
            }
        } finally {
            sampler.interrupt();
            standIn.close();
        }
    }

    private static byte[] digest(GridFSBucket bucket, ObjectId id) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = bucket.openDownloadStream(id).batchSize(8)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return sha.digest();
    }
}
