package com.mp3converter.devstack.store;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.exception.KeyConstraintError;

/**
 * An index the services declare, kept in its own ordered map: the key is the indexed values' key bytes
 * ({@link KeyEncoding}, descending parts complemented), followed for a non-unique index by the document's key so
 * entries stay distinct; the value is the document's key. Documents without the fields are indexed under null,
 * as MongoDB does, unless the index is sparse. An array in an indexed field gives one entry per element
 * (the index becomes multikey, which the query planner must know).
 */
final class StandInIndex extends StoredIndex {
    private final MVMap<byte[], byte[]> entries;
    private final boolean unique;
    private final StandInStore store;
    private final String collection;
    private volatile boolean multikey;

    StandInIndex(String name, List<IndexKey> keys, boolean sparse, boolean unique, StandInStore store, String collection) {
        super(name, keys, sparse);
        this.unique = unique;
        this.store = store;
        this.collection = collection;
        this.entries = store.index(collection, name);
        this.multikey = store.multikey(collection, name);
    }

    @Override
    MVMap<byte[], byte[]> map() {
        return entries;
    }

    boolean multikey() {
        return multikey;
    }

    boolean sparse() {
        return isSparse();
    }

    /** The index key bytes of these values (one per indexed field, in order), without the document part. */
    byte[] valuesKey(List<Object> values) {
        KeyEncoding.Builder key = new KeyEncoding.Builder();
        for (int i = 0; i < values.size(); i++) {
            key.add(values.get(i), getKeys().get(i).isAscending());
        }
        return key.bytes();
    }

    private Set<byte[]> entryKeys(Document document, Key position) {
        Set<byte[]> keys = new LinkedHashSet<>();
        if (isSparse() && keys().stream().allMatch(field -> Utils.getSubdocumentValue(document, field) instanceof Missing)) {
            return keys;
        }
        Set<KeyValue> values = getKeyValues(document);
        if (values.isEmpty()) { // an empty array: one entry for it, as MongoDB keeps one
            values = Set.of(new KeyValue(keys().stream().map(field -> {
                Object value = Utils.getSubdocumentValueCollectionAware(document, field);
                return value instanceof Missing ? null : value;
            }).toList()));
        }
        if (!multikey && keys().stream().anyMatch(field -> Utils.getSubdocumentValueCollectionAware(document, field)
                instanceof java.util.Collection<?>)) {
            multikey = true;
            store.markMultikey(collection, getName());
        }
        for (KeyValue value : values) {
            byte[] key = valuesKey(value.stream().toList());
            keys.add(unique ? key : new KeyEncoding.Builder().addRaw(key).addRaw(position.bytes()).bytes());
        }
        return keys;
    }

    @Override
    public Key getPosition(Document document) {
        Key position = positionOf(document);
        for (byte[] key : entryKeys(document, position)) {
            byte[] stored = entries.get(key);
            if (stored != null && (!unique || position.equals(new Key(stored)))) {
                return position;
            }
        }
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Key> collection) {
        if (!unique) {
            return;
        }
        Key position = positionOf(document);
        for (byte[] key : entryKeys(document, position)) {
            byte[] stored = entries.get(key);
            if (stored != null && !position.equals(new Key(stored))) {
                throw duplicate(document, collection);
            }
        }
    }

    private DuplicateKeyError duplicate(Document document, MongoCollection<Key> collection) {
        KeyValue first = getKeyValues(document).iterator().next();
        return new DuplicateKeyError(this, collection, getKeys(), first);
    }

    @Override
    public void add(Document document, Key position, MongoCollection<Key> collection) {
        checkAdd(document, collection);
        for (byte[] key : entryKeys(document, position)) {
            entries.put(key, position.bytes());
        }
    }

    @Override
    public Key remove(Document document) {
        Key position = positionOf(document);
        Key removed = null;
        for (byte[] key : entryKeys(document, position)) {
            byte[] stored = entries.remove(key);
            if (stored != null) {
                removed = new Key(stored);
            }
        }
        return removed;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Key> collection) {
        if (unique && !nullAwareEqualsKeys(oldDocument, newDocument)) {
            checkAdd(newDocument, collection);
        }
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, Key position, MongoCollection<Key> collection)
            throws KeyConstraintError {
        if (!nullAwareEqualsKeys(oldDocument, newDocument)) {
            for (byte[] key : entryKeys(oldDocument, position)) {
                entries.remove(key);
            }
            add(newDocument, position, collection);
        }
    }

    @Override
    public long getCount() {
        return entries.sizeAsLong();
    }

    @Override
    public boolean isUnique() {
        return unique;
    }

    @Override
    public boolean hasSameOptions(Index<?> other) {
        return super.hasSameOptions(other) && other.isUnique() == unique;
    }

    @Override
    public void drop() {
        // the database removes the map (StandInStore.removeIndex)
    }
}
