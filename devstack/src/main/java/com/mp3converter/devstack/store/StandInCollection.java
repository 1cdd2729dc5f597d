package com.mp3converter.devstack.store;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractSynchronizedMongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DocumentComparator;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.oplog.NoopOplog;

/**
 * A collection in the {@link StandInStore}: documents as BSON keyed by their {@code _id}'s key bytes, found
 * through the plan {@link QueryPlan} picks, read lazily: a query returns its first batch and keeps its place for
 * the next (no query holds a collection's worth of documents, or an old version of the store, in memory).
 */
final class StandInCollection extends AbstractSynchronizedMongoCollection<Key> {
    /** Entries read from a map at a time (and at most about this many bytes of them). */
    private static final int SLICE_ENTRIES = 64;
    private static final int SLICE_BYTES = 1 << 20;
    /** A find's first batch when the client names no size, as MongoDB's (later ones: up to 16 MiB). */
    private static final int FIRST_BATCH = 101;

    /** A document found, with its stored size (what a batch counts against its limit). */
    record Found(Document document, int bytes) {
    }

    private final MVMap<byte[], byte[]> data;
    private final StandInStore store;
    private final OpenCursors cursors;

    StandInCollection(MongoDatabase database, String name, CollectionOptions options, CursorRegistry registry,
                      StandInStore store, OpenCursors cursors) {
        super(database, name, options, registry);
        this.store = store;
        this.cursors = cursors;
        this.data = store.data(getFullName());
    }

    // --- storage ---------------------------------------------------------------------------------------------

    @Override
    protected Key addDocumentInternal(Document document) {
        Object id = getIdField() == null ? UUID.randomUUID() : Utils.getSubdocumentValue(document, getIdField());
        byte[] key = KeyEncoding.of(id);
        byte[] bson = Bson.encode(document);
        if (data.putIfAbsent(key, bson) != null) {
            throw new DuplicateKeyError(getFullName(), "E11000 duplicate key error collection: " + getFullName()
                    + " index: _id_ dup key: " + id);
        }
        store.addDataSize(getFullName(), bson.length);
        return new Key(key);
    }

    @Override
    protected Document getDocument(Key position) {
        byte[] bson = data.get(position.bytes());
        return bson == null ? null : Bson.decode(bson);
    }

    @Override
    protected void removeDocument(Key position) {
        byte[] removed = data.remove(position.bytes());
        if (removed == null) {
            throw new NoSuchElementException("no document with key " + position + " in " + getFullName());
        }
        store.addDataSize(getFullName(), -removed.length);
    }

    @Override
    protected void handleUpdate(Key position, Document oldDocument, Document newDocument) {
        byte[] bson = Bson.encode(newDocument);
        byte[] previous = data.put(position.bytes(), bson);
        store.addDataSize(getFullName(), bson.length - (previous == null ? 0 : previous.length));
    }

    @Override
    protected Stream<DocumentWithPosition<Key>> streamAllDocumentsWithPosition() {
        return stream(entries(data, whole(), false))
                .map(entry -> new DocumentWithPosition<>(Bson.decode(entry.getValue()), new Key(entry.getKey())));
    }

    @Override
    public int count() {
        return (int) Math.min(Integer.MAX_VALUE, data.sizeAsLong());
    }

    @Override
    public boolean isEmpty() {
        return data.isEmpty();
    }

    /** Sizes are counted from the stored bytes (see addDocumentInternal, removeDocument, handleUpdate). */
    @Override
    protected boolean tracksDataSize() {
        return false;
    }

    @Override
    protected void updateDataSize(int sizeDelta) {
        store.addDataSize(getFullName(), sizeDelta);
    }

    @Override
    protected int getDataSize() {
        return (int) Math.min(Integer.MAX_VALUE, store.dataSize(getFullName()));
    }

    /** MongoDB's collStats, with sizes as longs (a GridFS chunk collection passes 2 GiB soon). */
    @Override
    public Document getStats() {
        Document stats = super.getStats();
        long size = store.dataSize(getFullName());
        long count = data.sizeAsLong();
        stats.put("count", count);
        stats.put("size", size);
        stats.put("avgObjSize", count == 0 ? 0 : size / count);
        return stats;
    }

    // --- queries ---------------------------------------------------------------------------------------------

    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
        QueryPlan plan = QueryPlan.of(query, orderBy, getIndexes(), limit > 0);
        int firstBatch = batchSize > 0 ? batchSize : StandInDatabase.answeringFind() ? FIRST_BATCH : 0;
        if (firstBatch == 0) { // an update, delete, count, ... of the base class: all of it, read as it iterates
            return new QueryResult(() -> find(plan, query, orderBy, numberToSkip, limit, fieldSelector)
                    .map(Found::document).iterator());
        }
        Iterator<Found> found = find(plan, query, orderBy, numberToSkip, limit, fieldSelector).iterator();
        List<Document> first = StandInCursor.batch(found, firstBatch);
        return found.hasNext() ? new QueryResult(first, cursors.open(found)) : new QueryResult(first);
    }

    /** Required by the base class, whose queryDocuments (the only caller) this class replaces. */
    @Override
    protected QueryResult matchDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
        return queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
    }

    @Override
    public int count(Document query, int skip, int limit) {
        if (query == null || query.isEmpty()) {
            return super.count(query, skip, limit);
        }
        long count = find(QueryPlan.of(query, null, getIndexes(), limit > 0), query, null, skip, limit, null).count();
        return (int) Math.min(Integer.MAX_VALUE, count);
    }

    /** The documents a {@code $match} selects, for an aggregation that begins with one. */
    Stream<Document> matching(Document query) {
        return find(QueryPlan.of(query, null, getIndexes(), false), query, null, 0, 0, null).map(Found::document);
    }

    /** Deletes the documents whose {@code field} holds a date before {@code cutoff} (a TTL index's sweep). */
    int expire(String field, Instant cutoff) {
        return deleteDocuments(new Document(field, new Document("$lt", cutoff)), 0, NoopOplog.get());
    }

    private Stream<Found> find(QueryPlan plan, Document query, Document orderBy, int skip, int limit, Document fieldSelector) {
        Stream<Found> found = plan.index == null || plan.index instanceof IdIndex ? fromData(plan) : throughIndex(plan);
        found = found.filter(f -> documentMatchesQuery(f.document(), query));
        Comparator<Document> order = deriveComparator(orderBy);
        if (order != null && plan.sortedPrefix < orderBy.size()) {
            Comparator<Found> whole = Comparator.comparing(Found::document, order);
            found = plan.sortedPrefix == 0 ? found.sorted(whole) : sortRuns(found, leading(orderBy, plan.sortedPrefix), whole);
        }
        if (skip > 0) {
            found = found.skip(skip);
        }
        if (limit > 0) {
            found = found.limit(limit);
        }
        if (fieldSelector != null && !fieldSelector.isEmpty()) {
            found = found.map(f -> new Found(project(f.document(), fieldSelector), f.bytes()));
        }
        return found;
    }

    /** Documents straight from the data map: a scan, or {@code _id} ranges. */
    private Stream<Found> fromData(QueryPlan plan) {
        return stream(entries(data, plan))
                .map(entry -> new Found(Bson.decode(entry.getValue()), entry.getValue().length));
    }

    /** Documents through a secondary index: each once, however many of its entries point to it. */
    private Stream<Found> throughIndex(QueryPlan plan) {
        MVMap<byte[], byte[]> entries = plan.index.map();
        Set<Key> seen = new HashSet<>();
        return stream(entries(entries, plan))
                .map(entry -> new Key(entry.getValue()))
                .filter(seen::add)
                .map(this::load)
                .filter(Objects::nonNull);
    }

    private Found load(Key position) {
        byte[] bson = data.get(position.bytes());
        return bson == null ? null : new Found(Bson.decode(bson), bson.length); // null: deleted since the index was read
    }

    /**
     * The entries of all the plan's ranges, one range after the other (chained by hand: a stream's flatMap, pulled
     * through an iterator, would read each range whole before handing out its first entry).
     */
    private static Iterator<Map.Entry<byte[], byte[]>> entries(MVMap<byte[], byte[]> map, QueryPlan plan) {
        Iterator<QueryPlan.Range> ranges = (plan.reverse ? plan.ranges.reversed() : plan.ranges).iterator();
        return new Iterator<>() {
            private Iterator<Map.Entry<byte[], byte[]>> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && ranges.hasNext()) {
                    current = entries(map, ranges.next(), plan.reverse);
                }
                return current.hasNext();
            }

            @Override
            public Map.Entry<byte[], byte[]> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    private static QueryPlan.Range whole() {
        return new QueryPlan.Range(new byte[0], null);
    }

    /**
     * A range of a map's entries, read a slice at a time from the map as it is at that moment: no reader keeps an
     * old version of the store referenced (the file reuses space at once, see StandInStore.open), and a document
     * changed meanwhile is read as it is now.
     */
    static Iterator<Map.Entry<byte[], byte[]>> entries(MVMap<byte[], byte[]> map, QueryPlan.Range range, boolean reverse) {
        return new Iterator<>() {
            private final ArrayDeque<Map.Entry<byte[], byte[]>> slice = new ArrayDeque<>();
            private byte[] last;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (slice.isEmpty() && !done) {
                    fill();
                }
                return !slice.isEmpty();
            }

            @Override
            public Map.Entry<byte[], byte[]> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return slice.poll();
            }

            private void fill() {
                byte[] start = last != null ? last : reverse ? range.to() : range.from();
                Cursor<byte[], byte[]> cursor = map.cursor(start, null, reverse);
                long bytes = 0;
                while (slice.size() < SLICE_ENTRIES && bytes < SLICE_BYTES) {
                    if (!cursor.hasNext()) {
                        done = true;
                        return;
                    }
                    byte[] key = cursor.next();
                    if (last != null && KeyEncoding.compare(key, last) == 0) {
                        continue;
                    }
                    if (!range.contains(key)) {
                        boolean before = reverse ? range.to() != null && KeyEncoding.compare(key, range.to()) >= 0
                                : KeyEncoding.compare(key, range.from()) < 0;
                        if (before) {
                            continue; // the reverse start is the range's exclusive end
                        }
                        done = true;
                        return;
                    }
                    slice.add(Map.entry(key, cursor.getValue()));
                    bytes += cursor.getValue().length;
                    last = key;
                }
            }
        };
    }

    private static <T> Stream<T> stream(Iterator<T> iterator) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator, Spliterator.ORDERED), false);
    }

    private static Comparator<Document> leading(Document orderBy, int keys) {
        Document leading = new Document();
        orderBy.entrySet().stream().limit(keys).forEach(e -> leading.put(e.getKey(), e.getValue()));
        return new DocumentComparator(leading);
    }

    /** Runs of documents that tie on the sort's leading keys (which the index orders) sorted by the whole sort. */
    private static Stream<Found> sortRuns(Stream<Found> found, Comparator<Document> leading, Comparator<Found> whole) {
        Iterator<Found> in = found.iterator();
        return stream(new Iterator<>() {
            private final ArrayDeque<Found> ready = new ArrayDeque<>();
            private Found pending;

            @Override
            public boolean hasNext() {
                if (ready.isEmpty()) {
                    fill();
                }
                return !ready.isEmpty();
            }

            @Override
            public Found next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }

            private void fill() {
                List<Found> run = new ArrayList<>();
                if (pending == null && !in.hasNext()) {
                    return;
                }
                run.add(pending != null ? pending : in.next());
                pending = null;
                while (in.hasNext()) {
                    Found f = in.next();
                    if (leading.compare(run.getFirst().document(), f.document()) != 0) {
                        pending = f;
                        break;
                    }
                    run.add(f);
                }
                run.sort(whole);
                ready.addAll(run);
            }
        });
    }

    /** A find's projection, as the base class applies it. */
    private Document project(Document document, Document fieldSelector) {
        return matchDocumentsFromStream(new Document(), Stream.of(document), 0, 0, 0, null, fieldSelector)
                .collectDocuments().getFirst();
    }
}
