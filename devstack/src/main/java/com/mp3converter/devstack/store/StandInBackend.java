package com.mp3converter.devstack.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;

/**
 * mongo-java-server's wire protocol and query engine over the {@link StandInStore}: indexes that answer queries,
 * documents read as a client pages through them, the data file compacted while the stand-in runs, TTL indexes
 * swept every minute and abandoned cursors forgotten after ten, as MongoDB does both.
 */
public final class StandInBackend extends AbstractMongoBackend {
    private static final Logger LOG = Logger.getLogger(StandInBackend.class.getName());
    /**
     * The file may exceed 1.5 × the live data by this much before it is compacted (the bound kept is 2 × + 256 MiB;
     * with the store's own housekeeping alone the file reached 2.6 × in bench standin).
     */
    private static final long SLACK_BYTES = 64L << 20;
    /** How long a compaction may hold the store's writers at most, once a second. */
    private static final int COMPACT_MILLIS = 500;

    private final StandInStore store;
    private final OpenCursors cursors;
    private final ScheduledExecutorService housekeeping;

    /** The stand-in's data in {@code file} (null: in memory only). */
    public StandInBackend(String file) {
        store = StandInStore.open(file);
        cursors = new OpenCursors(getCursorRegistry());
        store.importLegacy(name -> (StandInDatabase) resolveDatabase(name));
        store.databaseNames().forEach(this::resolveDatabase);
        housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "stand-in housekeeping");
            thread.setDaemon(true);
            return thread;
        });
        housekeeping.scheduleWithFixedDelay(guarded("compaction", () -> store.compact(SLACK_BYTES, COMPACT_MILLIS)),
                1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(guarded("expiry", this::expireNow), 1, 60, TimeUnit.SECONDS);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new StandInDatabase(databaseName, store, getCursorRegistry(), cursors);
    }

    /** The data file's size and the live data in it (what dbStats reports as fileSize, summed dataSize). */
    public long fileSize() {
        return store.fileSize();
    }

    public long liveData() {
        return store.liveData();
    }

    /** Forgets idle cursors and deletes what TTL indexes say has expired (every minute; now, for tests). */
    void expireNow() {
        cursors.expire(Duration.ofMinutes(10));
        Instant now = Instant.now(getClock());
        for (String name : List.copyOf(listDatabaseNames())) {
            if (resolveDatabase(name) instanceof StandInDatabase database) {
                database.expireTtl(now);
            }
        }
    }

    OpenCursors openCursors() {
        return cursors;
    }

    private static Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "stand-in " + what + " failed; it runs again shortly", e);
            }
        };
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        try {
            housekeeping.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        super.close();
        store.close();
    }
}
