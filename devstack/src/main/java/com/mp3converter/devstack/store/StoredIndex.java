package com.mp3converter.devstack.store;

import java.util.List;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;

/** What the stand-in's two kinds of index share: documents are found through {@link QueryPlan}, not the index. */
abstract class StoredIndex extends Index<Key> {

    StoredIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
    }

    /** The ordered map a query plan reads: index key to document key (for {@code _id}: the documents). */
    abstract MVMap<byte[], byte[]> map();

    /** Where a document of a collection with {@code _id}s is: its {@code _id}'s key. */
    static Key positionOf(Document document) {
        return new Key(KeyEncoding.of(document.get("_id")));
    }

    @Override
    public final boolean canHandle(Document query) {
        return false;
    }

    @Override
    public final Iterable<Key> getPositions(Document query) {
        throw new UnsupportedOperationException("queries use QueryPlan");
    }

    @Override
    public final long getDataSize() {
        return getCount();
    }
}
