package com.mp3converter.devstack.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractSynchronizedMongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

import io.netty.channel.Channel;

/** A database of the stand-in: its collections and indexes live in the {@link StandInStore}. */
final class StandInDatabase extends AbstractSynchronizedMongoDatabase<Key> {
    private static final Logger LOG = Logger.getLogger(StandInDatabase.class.getName());

    /** Set while a client's find runs: its answer comes in batches (the base class's internal queries want it all). */
    private static final ThreadLocal<Boolean> CLIENT_FIND = ThreadLocal.withInitial(() -> false);

    private final StandInStore store;
    private final OpenCursors cursors;

    StandInDatabase(String name, StandInStore store, CursorRegistry registry, OpenCursors cursors) {
        super(name, registry);
        this.store = store;
        this.cursors = cursors;
        initializeNamespacesAndIndexes();
    }

    @Override
    protected MongoCollection<Key> openOrCreateCollection(String collectionName, CollectionOptions options) {
        return new StandInCollection(this, collectionName, options, cursorRegistry, store, cursors);
    }

    @Override
    protected Index<Key> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        String collection = getFullCollectionNamespace(collectionName);
        if (keys.size() == 1 && keys.getFirst().getKey().equals("_id") && !sparse) {
            return new IdIndex(indexName, keys, store.data(collection));
        }
        return new StandInIndex(indexName, keys, sparse, true, store, collection);
    }

    /** Secondary indexes are kept (mongo-java-server's own backends ignore them and scan). */
    @Override
    protected Index<Key> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        return new StandInIndex(indexName, keys, sparse, false, store, getFullCollectionNamespace(collectionName));
    }

    @Override
    protected void dropIndex(MongoCollection<Key> collection, String indexName) {
        super.dropIndex(collection, indexName);
        store.removeIndex(collection.getFullName(), indexName);
    }

    @Override
    public void dropCollection(String collectionName, Oplog oplog) {
        super.dropCollection(collectionName, oplog);
        store.removeCollection(getFullCollectionNamespace(collectionName));
    }

    @Override
    public void drop(Oplog oplog) {
        super.drop(oplog);
        store.removeDatabase(getDatabaseName());
    }

    @Override
    public void moveCollection(de.bwaldvogel.mongo.MongoDatabase oldDatabase, MongoCollection<?> collection, String newCollectionName) {
        String from = collection.getFullName();
        super.moveCollection(oldDatabase, collection, newCollectionName);
        store.renameCollection(from, getFullCollectionNamespace(newCollectionName));
    }

    @Override
    protected long getFileSize() {
        return store.fileSize();
    }

    @Override
    protected long getStorageSize() {
        return store.fileSize();
    }

    /**
     * An aggregation that begins with {@code $match} (countDocuments is one) selects through the indexes; the base
     * class would hand every document of the collection to the pipeline.
     */
    @Override
    public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver resolver, Oplog oplog) {
        if (command.equalsIgnoreCase("find")) {
            CLIENT_FIND.set(true);
            try {
                return super.handleCommand(channel, command, query, resolver, oplog);
            } finally {
                CLIENT_FIND.remove();
            }
        }
        if (command.equalsIgnoreCase("aggregate") && query.get("pipeline") instanceof List<?> stages && !stages.isEmpty()
                && stages.getFirst() instanceof Document first && first.get("$match") instanceof Document match
                && resolveCollection(query.get(command).toString(), false) instanceof StandInCollection collection) {
            List<Document> pipeline = Aggregation.parse(stages);
            Aggregation rest = Aggregation.fromPipeline(pipeline.subList(1, pipeline.size()), resolver, this, collection, oplog);
            rest.validate(query);
            Document cursor = new Document("id", 0L).append("ns", collection.getFullName())
                    .append("firstBatch", rest.runStages(collection.matching(match)));
            Document response = new Document("cursor", cursor);
            Utils.markOkay(response);
            return response;
        }
        return super.handleCommand(channel, command, query, resolver, oplog);
    }

    /** Whether the query running on this thread answers a client's find (rather than an update, a delete, ...). */
    static boolean answeringFind() {
        return CLIENT_FIND.get();
    }

    /** Creates a collection with these indexes and documents (copied from another format); how many documents. */
    long importCollection(String collectionName, List<Document> indexDescriptions, Iterable<Document> documents) {
        MongoCollection<Key> collection = resolveOrCreateCollection(collectionName);
        for (Document description : indexDescriptions) {
            if (!"_id_".equals(description.get("name"))) {
                addIndex(description);
            }
        }
        long count = 0;
        for (Document document : documents) {
            collection.addDocumentIfMissing(document); // a copy cut short is taken up where it stopped
            count++;
        }
        return count;
    }

    /** Deletes what the TTL indexes ({@code expireAfterSeconds}) say has expired; how many documents. */
    int expireTtl(Instant now) {
        MongoCollection<Key> indexes = this.indexes.get();
        if (indexes == null) {
            return 0;
        }
        List<Document> ttl = new ArrayList<>();
        indexes.queryAll().forEach(d -> {
            if (d.get("expireAfterSeconds") instanceof Number && d.get("key") instanceof Document key && key.size() == 1) {
                ttl.add(d);
            }
        });
        int deleted = 0;
        for (Document index : ttl) {
            String namespace = index.get("ns").toString();
            String name = namespace.substring(getDatabaseName().length() + 1);
            if (resolveCollection(name, false) instanceof StandInCollection collection) {
                String field = ((Document) index.get("key")).keySet().iterator().next();
                long seconds = ((Number) index.get("expireAfterSeconds")).longValue();
                deleted += collection.expire(field, now.minusSeconds(seconds));
            }
        }
        if (deleted > 0) {
            int n = deleted;
            LOG.fine(() -> getDatabaseName() + ": " + n + " documents expired");
        }
        return deleted;
    }
}
