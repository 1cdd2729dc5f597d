package com.mp3converter.common.server;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

/**
 * A cleanup pass run every so often on its own daemon thread (MP3 retention, expired uploads, bookkeeping past its
 * lifetime); a failed pass is logged and the next one runs. Every replica may run them: each pass is safe to run twice.
 */
public final class Housekeeping implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Housekeeping.class.getName());

    private final String name;
    private final String removed;
    private final IntSupplier pass;
    private final ScheduledExecutorService timer;

    /** {@code pass} returns how many things it removed, named by {@code removed} in the log. */
    public Housekeeping(String name, String removed, IntSupplier pass) {
        this.name = name;
        this.removed = removed;
        this.pass = pass;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name).daemon(true).factory());
    }

    public Housekeeping every(Duration interval) {
        timer.scheduleWithFixedDelay(this::runQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** A pass now, besides the scheduled ones (something is due). */
    public void runSoon() {
        timer.execute(this::runQuietly);
    }

    private void runQuietly() {
        try {
            int count = pass.getAsInt();
            if (count > 0) {
                LOG.info(() -> name + ": removed " + count + " " + removed);
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> name + " pass failed: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
