package com.mp3converter.common.http;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * At most so many of one costly thing at once in this process (bodies streaming, passwords hashing): one more waits
 * its turn, first come first served, up to {@code wait}, then is refused with the caller's problem (a 503 with
 * {@code Retry-After}, in words about what is busy).
 */
public final class Slots {
    private final Semaphore free;
    private final Duration wait;
    private final Supplier<ProblemException> busy;

    /** A slot held; closing it gives it back, once however often it is closed. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();

        /** A slot whose first close runs {@code giveBack}; later ones do nothing. */
        static Slot givingBack(Runnable giveBack) {
            AtomicBoolean held = new AtomicBoolean(true);
            return () -> {
                if (held.compareAndSet(true, false)) {
                    giveBack.run();
                }
            };
        }
    }

    public Slots(int max, Duration wait, Supplier<ProblemException> busy) {
        this.free = new Semaphore(max, true);
        this.wait = wait;
        this.busy = busy;
    }

    /** A slot, given back by closing it; {@code busy} when none frees up within the wait. */
    public Slot take() {
        boolean taken;
        try {
            taken = free.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            taken = false;
        }
        if (!taken) {
            throw busy.get();
        }
        return Slot.givingBack(free::release);
    }
}
