package com.mp3converter.gateway;

import java.time.Duration;

import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Slots;

/**
 * How many bodies this replica streams at once, uploads arriving and MP3s leaving together. Each holds a few
 * megabytes of buffers while bytes flow (chunks queued for GridFS, a GridFS batch, the read-ahead), so without a
 * cap enough simultaneous transfers, from any number of accounts, would exhaust the heap and end every transfer of
 * the replica with it; with it, the heap (jvm/gateway.options) is sized for the cap. One more waits up to
 * {@code wait} for a slot, then is told to try again.
 */
final class Transfers {
    private final Slots slots;

    Transfers(int max, Duration wait) {
        this.slots = new Slots(max, wait, () -> new ProblemException(503, "too-busy", "Too busy", "this server is "
                + "receiving and sending as many files as it can right now; try again in a few seconds")
                .header("Retry-After", "5"));
    }

    /** A slot for one body, given back by closing it; a 503 with {@code Retry-After} when none frees up in time. */
    Slots.Slot start() {
        return slots.take();
    }
}
