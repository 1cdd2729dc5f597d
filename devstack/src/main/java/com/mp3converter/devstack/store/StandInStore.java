package com.mp3converter.devstack.store;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.logging.Logger;

import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;

/**
 * The stand-in's one data file: an H2 MVStore holding, per collection, a map from document key to BSON and, per
 * index, a map from index key to document key, plus a map of counters (each collection's data size).
 * <p>
 * MVStore never overwrites: every commit appends, and what a write replaced stays in the file until the chunk
 * holding it is rewritten or dropped. {@link #compact} keeps the file near the live data while the stand-in runs
 * (the store's own housekeeping only catches up when it is idle, which a stand-in under tests never is).
 */
final class StandInStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StandInStore.class.getName());
    private static final String DATA = "data:";
    private static final String INDEX = "index:";
    private static final String SIZE = "size:";
    private static final String MULTIKEY = "multikey:";
    private static final String COUNTERS = "counters";

    private final MVStore store;
    private final MVMap<String, Long> counters;

    private StandInStore(MVStore store) {
        this.store = store;
        this.counters = store.openMap(COUNTERS, new MVMap.Builder<String, Long>()
                .keyType(StringDataType.INSTANCE).valueType(LongDataType.INSTANCE));
    }

    /** Opens (or creates) the file; a null file keeps everything in memory. */
    static StandInStore open(String file) {
        MVStore.Builder builder = new MVStore.Builder();
        if (file != null) {
            builder.fileName(file);
        }
        MVStore store = builder.open();
        // chunks that no longer hold live data are reused at once: what a crash of the machine could cost here is
        // local test data, and waiting the default 45 s lets the file grow by all that was deleted meanwhile
        store.setRetentionTime(0);
        return new StandInStore(store);
    }

    /** A file written by mongo-java-server's own H2 backend is copied into this format first (see LegacyData). */
    void importLegacy(java.util.function.Function<String, StandInDatabase> databases) {
        if (LegacyData.present(store)) {
            LegacyData.migrate(store, databases);
        }
    }

    /** Whether a map of the file is one of this store's (anything else is left from another format). */
    static boolean owns(String map) {
        return map.startsWith(DATA) || map.startsWith(INDEX) || map.equals(COUNTERS);
    }

    MVMap<byte[], byte[]> data(String collection) {
        return bytesMap(DATA + collection);
    }

    MVMap<byte[], byte[]> index(String collection, String index) {
        return bytesMap(indexMapName(collection, index));
    }

    private MVMap<byte[], byte[]> bytesMap(String name) {
        return store.openMap(name, new MVMap.Builder<byte[], byte[]>()
                .keyType(ByteArrayDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
    }

    private static String indexMapName(String collection, String index) {
        return INDEX + collection + "$" + index; // '$' cannot be part of a collection's name
    }

    /** The databases the file holds (every collection, system ones included, has a data map). */
    Set<String> databaseNames() {
        Set<String> names = new TreeSet<>();
        for (String map : store.getMapNames()) {
            if (map.startsWith(DATA)) {
                String collection = map.substring(DATA.length());
                names.add(collection.substring(0, collection.indexOf('.')));
            }
        }
        return names;
    }

    long dataSize(String collection) {
        return counters.getOrDefault(SIZE + collection, 0L);
    }

    void addDataSize(String collection, long delta) {
        counters.merge(SIZE + collection, delta, Long::sum);
    }

    boolean multikey(String collection, String index) {
        return counters.containsKey(MULTIKEY + collection + "$" + index);
    }

    void markMultikey(String collection, String index) {
        counters.put(MULTIKEY + collection + "$" + index, 1L);
    }

    void removeIndex(String collection, String index) {
        String name = collection + "$" + index;
        removeMaps(map -> map.equals(INDEX + name));
        counters.remove(MULTIKEY + name);
    }

    /** Removes a collection's documents, indexes and counters. */
    void removeCollection(String collection) {
        removeMaps(map -> map.equals(DATA + collection) || map.startsWith(INDEX + collection + "$"));
        removeCounters(key -> key.equals(SIZE + collection) || key.startsWith(MULTIKEY + collection + "$"));
    }

    /** Removes everything of a database (what its collections left, if anything). */
    void removeDatabase(String database) {
        removeMaps(map -> map.startsWith(DATA + database + ".") || map.startsWith(INDEX + database + "."));
        removeCounters(key -> key.startsWith(SIZE + database + ".") || key.startsWith(MULTIKEY + database + "."));
    }

    void renameCollection(String from, String to) {
        for (String map : List.copyOf(store.getMapNames())) {
            if (map.equals(DATA + from)) {
                store.renameMap(bytesMap(map), DATA + to);
            } else if (map.startsWith(INDEX + from + "$")) {
                store.renameMap(bytesMap(map), INDEX + to + map.substring(INDEX.length() + from.length()));
            }
        }
        for (String key : List.copyOf(counters.keySet())) {
            if (key.equals(SIZE + from)) {
                counters.put(SIZE + to, counters.remove(key));
            } else if (key.startsWith(MULTIKEY + from + "$")) {
                counters.put(MULTIKEY + to + key.substring(MULTIKEY.length() + from.length()), counters.remove(key));
            }
        }
    }

    private void removeMaps(Predicate<String> which) {
        List.copyOf(store.getMapNames()).stream().filter(which).forEach(store::removeMap);
    }

    private void removeCounters(Predicate<String> which) {
        List.copyOf(counters.keySet()).stream().filter(which).forEach(counters::remove);
    }

    /** Bytes of the data file (0 in memory). */
    long fileSize() {
        FileStore<?> file = store.getFileStore();
        return file == null ? 0 : file.size();
    }

    /** The BSON bytes of every document in the file: what it would hold with nothing dead in it. */
    long liveData() {
        long total = 0;
        for (var entry : counters.entrySet()) {
            if (entry.getKey().startsWith(SIZE)) {
                total += entry.getValue();
            }
        }
        return total;
    }

    /**
     * Rewrites what is left of mostly dead chunks and moves chunks down so the file can shrink, for at most
     * {@code millis}, when the file is larger than {@code 1.5 ×} the live data {@code + slackBytes}. True when
     * it compacted.
     */
    boolean compact(long slackBytes, int millis) {
        long file = fileSize();
        long live = liveData();
        if (file == 0 || file <= live + live / 2 + slackBytes) {
            return false;
        }
        long start = System.nanoTime();
        store.compactFile(millis);
        LOG.fine(() -> String.format("compacted %d MB (live %d MB) to %d MB in %d ms", file >> 20, live >> 20,
                fileSize() >> 20, (System.nanoTime() - start) / 1_000_000));
        return true;
    }

    @Override
    public void close() {
        store.close();
    }
}
