package com.mp3converter.devstack.store;

import java.util.List;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;

/**
 * The {@code _id} index: the collection's data map is keyed by the {@code _id}'s key bytes already, so this index
 * stores nothing of its own and answers from that map.
 */
final class IdIndex extends StoredIndex {
    private final MVMap<byte[], byte[]> data;

    IdIndex(String name, List<IndexKey> keys, MVMap<byte[], byte[]> data) {
        super(name, keys, false);
        this.data = data;
    }

    @Override
    MVMap<byte[], byte[]> map() {
        return data;
    }

    @Override
    public Key getPosition(Document document) {
        Key position = positionOf(document);
        return data.containsKey(position.bytes()) ? position : null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Key> collection) {
        if (data.containsKey(positionOf(document).bytes())) {
            throw new DuplicateKeyError(this, collection, getKeys(), new KeyValue(document.get("_id")));
        }
    }

    @Override
    public void add(Document document, Key position, MongoCollection<Key> collection) {
        // the document's key in the data map is the entry
    }

    @Override
    public Key remove(Document document) {
        return getPosition(document);
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Key> collection) {
        // _id is immutable (the collection refuses to change it)
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, Key position, MongoCollection<Key> collection) {
        // _id is immutable
    }

    @Override
    public long getCount() {
        return data.sizeAsLong();
    }

    @Override
    public boolean isUnique() {
        return true;
    }

    @Override
    public void drop() {
        // the collection's data map goes with the collection
    }
}
