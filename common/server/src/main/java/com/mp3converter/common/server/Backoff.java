package com.mp3converter.common.server;

import java.time.Duration;

/**
 * Exponential backoff: each {@link #pause()} waits twice as long as the one before, up to a ceiling, until
 * {@link #reset()}. The one retry helper of the services (outbox relays, conversions, mail, start-up).
 */
public final class Backoff {
    private final Duration initial;
    private final Duration ceiling;
    private Duration next;

    private Backoff(Duration initial, Duration ceiling) {
        this.initial = initial;
        this.ceiling = ceiling;
        this.next = initial;
    }

    public static Backoff exponential(Duration initial, Duration ceiling) {
        return new Backoff(initial, ceiling);
    }

    /** The wait the next {@link #pause()} would take. */
    public Duration next() {
        return next;
    }

    /** Sleeps for the next wait and doubles it; false when interrupted (the interrupt stays set). */
    public boolean pause() {
        Duration wait = next;
        next = next.multipliedBy(2).compareTo(ceiling) > 0 ? ceiling : next.multipliedBy(2);
        return sleep(wait);
    }

    /** Back to the first, short wait: the last attempt worked. */
    public void reset() {
        next = initial;
    }

    /** Sleeps; false when interrupted (the interrupt stays set). */
    public static boolean sleep(Duration wait) {
        try {
            Thread.sleep(wait);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
