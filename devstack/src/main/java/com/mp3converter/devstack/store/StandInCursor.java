package com.mp3converter.devstack.store;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.bson.Document;

/**
 * The rest of a query's documents, read from the store batch by batch as the client asks for them (the stand-in
 * used to hold every remaining document in memory until the cursor was drained). A batch stops at the size
 * asked for, or at 16 MiB as MongoDB's do, whichever comes first.
 */
final class StandInCursor extends AbstractCursor {
    static final int MAX_BATCH_BYTES = 16 << 20;

    private final Iterator<StandInCollection.Found> documents;
    private volatile long lastUsed = System.nanoTime();

    StandInCursor(long id, Iterator<StandInCollection.Found> documents) {
        super(id);
        this.documents = documents;
    }

    /** The next batch: up to {@code count} documents (0: as many as fit in one). */
    static List<Document> batch(Iterator<StandInCollection.Found> documents, int count) {
        List<Document> batch = new ArrayList<>();
        long bytes = 0;
        while (documents.hasNext()) {
            StandInCollection.Found found = documents.next();
            batch.add(found.document());
            bytes += found.bytes();
            if (count > 0 && batch.size() >= count || bytes >= MAX_BATCH_BYTES) {
                break;
            }
        }
        return batch;
    }

    @Override
    public synchronized boolean isEmpty() {
        return !documents.hasNext();
    }

    @Override
    public synchronized List<Document> takeDocuments(int numberToReturn) {
        lastUsed = System.nanoTime();
        return batch(documents, numberToReturn);
    }

    long idleNanos() {
        return System.nanoTime() - lastUsed;
    }
}
