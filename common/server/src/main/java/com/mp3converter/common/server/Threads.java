package com.mp3converter.common.server;

/** Waiting for a worker thread that was told to stop. */
public final class Threads {
    private Threads() {
    }

    /**
     * Returns once {@code worker} has ended, even when this thread is interrupted meanwhile (the interruption is
     * passed on to the worker and kept for the caller): what the worker holds (native frames, buffers, a
     * connection) is never left to it while the caller goes on.
     */
    public static void awaitEnd(Thread worker) {
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true;
                worker.interrupt();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
