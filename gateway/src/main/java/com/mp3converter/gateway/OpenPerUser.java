package com.mp3converter.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Slots;

/**
 * How many of one kind of long answer (event streams, downloads) each user holds open on this replica: one more
 * than the cap is refused, so a few stalled clients cannot hold a replica's threads and buffers. Counted
 * atomically per user; a user's count goes when it is back at zero.
 */
final class OpenPerUser {
    private final Map<String, Integer> open = new ConcurrentHashMap<>();
    private final int max;
    private final Supplier<ProblemException> full;

    /** {@code full}: the refusal (a 429 in words, with Retry-After) when the user holds {@code max} already. */
    OpenPerUser(int max, Supplier<ProblemException> full) {
        this.max = max;
        this.full = full;
    }

    Slots.Slot open(String userId) {
        open.compute(userId, (user, count) -> {
            int now = count == null ? 0 : count;
            if (now >= max) {
                throw full.get();
            }
            return now + 1;
        });
        return Slots.Slot.givingBack(() -> open.computeIfPresent(userId, (user, count) -> count == 1 ? null : count - 1));
    }
}
