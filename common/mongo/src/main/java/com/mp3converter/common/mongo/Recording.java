package com.mp3converter.common.mongo;

import java.time.Duration;
import java.util.function.Consumer;

import com.mongodb.MongoException;
import com.mp3converter.common.server.Backoff;

/**
 * The record of something that already happened outside (a mail went out, a webhook was answered): while MongoDB is
 * away it is written again, every second at most, until it lands, since a record lost would let the lease expire and
 * the thing happen twice.
 */
public final class Recording {
    private static final Duration FIRST_WAIT = Duration.ofMillis(200);
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(1);

    private Recording() {
    }

    /**
     * Runs {@code write} until it does not fail on MongoDB, telling {@code waiting} of each failure; rethrows the last
     * one only when the thread is interrupted while it waits (the process is stopping: the lease decides, as after a
     * crash).
     */
    public static void untilWritten(Runnable write, Consumer<MongoException> waiting) {
        Backoff backoff = Backoff.exponential(FIRST_WAIT, LONGEST_WAIT);
        while (true) {
            try {
                write.run();
                return;
            } catch (MongoException e) {
                waiting.accept(e);
                if (!backoff.pause()) {
                    throw e;
                }
            }
        }
    }
}
