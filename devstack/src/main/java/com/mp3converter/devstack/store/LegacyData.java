package com.mp3converter.devstack.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.bson.Document;

/**
 * A data file written by mongo-java-server's own H2 backend (what the stand-in used before): its collections are
 * maps named {@code databases.DB.COLLECTION} of Java-serialized documents, the index descriptions are the
 * documents of {@code databases.DB.system.indexes}. They are copied into the stand-in's maps, index definitions
 * included, and the old maps removed, so a developer's data survives the change of format.
 */
final class LegacyData {
    private static final Logger LOG = Logger.getLogger(LegacyData.class.getName());
    private static final String PREFIX = "databases.";
    private static final String INDEXES = ".system.indexes";
    private static final String NAMESPACES = ".system.namespaces";

    private LegacyData() {
    }

    static boolean present(MVStore store) {
        return store.getMapNames().stream().anyMatch(name -> name.startsWith(PREFIX));
    }

    /** Copies every legacy collection through {@code databases} (by database name), then drops the legacy maps. */
    static void migrate(MVStore store, java.util.function.Function<String, StandInDatabase> databases) {
        long start = System.nanoTime();
        Map<String, List<Document>> indexesByNamespace = new LinkedHashMap<>();
        List<String> collections = new ArrayList<>();
        for (String name : store.getMapNames()) {
            if (name.startsWith(PREFIX) && name.endsWith(INDEXES)) {
                MVMap<Object, Document> indexes = store.openMap(name);
                for (Document description : indexes.values()) {
                    indexesByNamespace.computeIfAbsent(description.get("ns").toString(), ns -> new ArrayList<>()).add(description);
                }
            } else if (name.startsWith(PREFIX) && !name.endsWith(NAMESPACES)) {
                collections.add(name.substring(PREFIX.length()));
            }
        }
        long documents = 0;
        for (String namespace : collections) {
            int dot = namespace.indexOf('.');
            StandInDatabase database = databases.apply(namespace.substring(0, dot));
            MVMap<Object, Document> legacy = store.openMap(PREFIX + namespace);
            documents += database.importCollection(namespace.substring(dot + 1),
                    indexesByNamespace.getOrDefault(namespace, List.of()), legacy.values());
        }
        for (String name : List.copyOf(store.getMapNames())) {
            if (!StandInStore.owns(name)) {
                store.removeMap(name);
            }
        }
        store.commit();
        long copied = documents;
        LOG.info(() -> String.format("copied %d collections (%d documents) from mongo-java-server's H2 format in %.1f s",
                collections.size(), copied, (System.nanoTime() - start) / 1e9));
    }
}
