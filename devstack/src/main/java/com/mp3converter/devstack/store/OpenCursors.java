package com.mp3converter.devstack.store;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import de.bwaldvogel.mongo.backend.CursorRegistry;

/**
 * The cursors queries left open, so that one a client abandoned (a download cut off, a process killed) is
 * forgotten after a while, as MongoDB forgets cursors idle for ten minutes.
 */
final class OpenCursors {
    private final CursorRegistry registry;
    private final Map<Long, StandInCursor> open = new ConcurrentHashMap<>();

    OpenCursors(CursorRegistry registry) {
        this.registry = registry;
    }

    StandInCursor open(Iterator<StandInCollection.Found> rest) {
        StandInCursor cursor = new StandInCursor(registry.generateCursorId(), rest);
        registry.add(cursor);
        open.put(cursor.getId(), cursor);
        return cursor;
    }

    /** Drops the cursors drained, killed or idle longer than {@code idle}; how many are still open. */
    int expire(Duration idle) {
        open.values().removeIf(cursor -> {
            boolean gone = cursor.idleNanos() > idle.toNanos() || cursor.isEmpty();
            if (gone) {
                registry.remove(cursor.getId());
            }
            return gone;
        });
        return open.size();
    }
}
