package com.mp3converter.devstack.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;

/**
 * How a query is answered: through key ranges of one of the collection's indexes, or by a scan of its documents
 * in {@code _id} order. An index is usable when the query pins its leading fields to values ({@code field: v},
 * {@code $eq}, {@code $in}, also inside {@code $and}) and optionally bounds the next one ({@code $gt}, {@code $gte},
 * {@code $lt}, {@code $lte}); everything else in the query is checked on each document found, so a plan may find
 * more than the query matches but never less. The plan also says how many of the sort's leading keys the
 * iteration order already gives, so a sorted, limited query reads only what it returns.
 */
final class QueryPlan {
    /** More combinations of {@code $in} values than this and the index answers only the fields before. */
    private static final int MAX_POINTS = 256;
    private static final int ESTIMATE_LIMIT = 1000;
    /** Scores: a plan that narrows what is read, and one that pins a unique index's whole key. */
    private static final int SELECTIVE = 10;
    private static final int WHOLE_KEY = 100;

    /** From {@code from} (inclusive) to {@code to} (exclusive; null: to the end) in the chosen map's key order. */
    record Range(byte[] from, byte[] to) {
        boolean contains(byte[] key) {
            return KeyEncoding.compare(key, from) >= 0 && (to == null || KeyEncoding.compare(key, to) < 0);
        }
    }

    /** Null: scan the data map. */
    final StoredIndex index;
    final List<Range> ranges;
    /** Iterate each range (and the ranges) from the end. */
    final boolean reverse;
    /** How many leading keys of the sort the iteration order gives (all of them: no sorting needed). */
    final int sortedPrefix;
    private final int score;

    private QueryPlan(StoredIndex index, List<Range> ranges, boolean reverse, int sortedPrefix, int score) {
        this.index = index;
        this.ranges = ranges;
        this.reverse = reverse;
        this.sortedPrefix = sortedPrefix;
        this.score = score;
    }

    /** The best plan for a query with this sort ({@code null}: none) over these indexes. */
    static QueryPlan of(Document query, Document orderBy, List<Index<Key>> indexes, boolean limited) {
        Document sort = orderBy == null || orderBy.isEmpty() || orderBy.containsKey("$natural") ? new Document() : orderBy;
        Map<String, Field> fields = new HashMap<>();
        collect(query, fields);
        List<QueryPlan> candidates = new ArrayList<>();
        for (Index<Key> index : indexes) {
            if (index instanceof StoredIndex stored) {
                QueryPlan candidate = through(stored, fields, sort, limited);
                if (candidate != null) {
                    candidates.add(candidate);
                }
            }
        }
        if (candidates.isEmpty()) {
            return scan(sort);
        }
        List<QueryPlan> selective = candidates.stream().filter(c -> c.score >= SELECTIVE).toList();
        if (selective.size() > 1) {
            // which index narrows this query most is a matter of the data: count (up to a limit) what each would read
            return selective.stream().min(Comparator.comparingLong(QueryPlan::entries)
                    .thenComparing(Comparator.comparingInt((QueryPlan c) -> c.score).reversed())).orElseThrow();
        }
        return candidates.stream().max(Comparator.comparingInt(c -> c.score)).orElseThrow();
    }

    /** The index entries this plan would read, counted up to {@link #ESTIMATE_LIMIT}. */
    private long entries() {
        if (index.isUnique() && score >= WHOLE_KEY) {
            return ranges.size();
        }
        long n = 0;
        for (Range range : ranges) {
            Iterator<byte[]> keys = index.map().keyIterator(range.from());
            while (keys.hasNext() && n < ESTIMATE_LIMIT && range.contains(keys.next())) {
                n++;
            }
        }
        return n;
    }

    /** What the query asks of one field, as far as an index can use it. */
    private static final class Field {
        List<Object> points;
        Object lower;
        Object upper;
    }

    private static void collect(Document query, Map<String, Field> fields) {
        for (Map.Entry<String, Object> entry : query.entrySet()) {
            String name = entry.getKey();
            Object value = entry.getValue();
            if (name.equals("$and") && value instanceof Collection<?> all) {
                for (Object each : all) {
                    if (each instanceof Document part) {
                        collect(part, fields);
                    }
                }
            } else if (!name.startsWith("$")) {
                if (value instanceof Document operators && !operators.isEmpty()
                        && operators.keySet().stream().allMatch(k -> k.startsWith("$"))) {
                    operators.forEach((operator, operand) -> condition(fields, name, operator, operand));
                } else if (scalar(value)) {
                    condition(fields, name, "$eq", value);
                }
            }
        }
    }

    /** The first usable condition of each kind is kept: the others are checked on the documents found. */
    private static void condition(Map<String, Field> fields, String name, String operator, Object operand) {
        Field field = fields.computeIfAbsent(name, n -> new Field());
        switch (operator) {
            case "$eq" -> {
                if (field.points == null && scalar(operand)) {
                    field.points = java.util.Collections.singletonList(operand);
                }
            }
            case "$in" -> {
                if (field.points == null && operand instanceof Collection<?> values && values.stream().allMatch(QueryPlan::scalar)) {
                    field.points = new ArrayList<>(values);
                }
            }
            case "$gt", "$gte" -> {
                if (field.lower == null && bound(operand)) {
                    field.lower = operand;
                }
            }
            case "$lt", "$lte" -> {
                if (field.upper == null && bound(operand)) {
                    field.upper = operand;
                }
            }
            default -> {
                // answered by matching each document found
            }
        }
    }

    /** A value an index key can pin: not a document, array or pattern (those match by other rules). */
    private static boolean scalar(Object value) {
        return !(value instanceof Map || value instanceof Collection || value instanceof BsonRegularExpression
                || value instanceof Pattern);
    }

    private static boolean bound(Object value) {
        return value != null && scalar(value) && !(value instanceof MinKey) && !(value instanceof MaxKey);
    }

    private static QueryPlan scan(Document sort) {
        boolean byId = sort.size() == 1 && sort.containsKey("_id");
        boolean reverse = byId && ((Number) sort.get("_id")).intValue() < 0;
        return new QueryPlan(null, List.of(new Range(new byte[0], null)), reverse, byId ? 1 : 0, 0);
    }

    private static QueryPlan through(StoredIndex index, Map<String, Field> fields, Document sort, boolean limited) {
        List<IndexKey> keys = index.getKeys();
        boolean multikey = index instanceof StandInIndex secondary && secondary.multikey();
        boolean sparse = index instanceof StandInIndex secondary && secondary.sparse();
        List<byte[]> prefixes = List.of(new byte[0]);
        int pinned = 0;
        List<Range> bounded = null;
        for (IndexKey key : keys) {
            Field field = fields.get(key.getKey());
            if (field == null) {
                break;
            }
            if (field.points != null) {
                if (sparse && field.points.stream().anyMatch(Objects::isNull)
                        || prefixes.size() * (long) field.points.size() > MAX_POINTS) {
                    break;
                }
                prefixes = extend(prefixes, field.points, key.isAscending());
                pinned++;
                continue;
            }
            if (field.lower != null || field.upper != null) {
                bounded = bounded(prefixes, field, key.isAscending(), multikey);
            }
            break;
        }
        List<Range> ranges = bounded != null ? bounded
                : prefixes.stream().map(p -> new Range(p, KeyEncoding.after(p))).toList();
        int[] order = sortOrder(index, keys, pinned, prefixes.size(), fields, sort, multikey);
        if (pinned == 0 && bounded == null) {
            // usable only for its order, to stop early: every document is in a non-sparse index
            if (!limited || order[0] == 0 || sparse || multikey) {
                return null;
            }
            return new QueryPlan(index, ranges, order[1] == 1, order[0], 1);
        }
        boolean wholeKey = index.isUnique() && pinned == keys.size();
        boolean sorted = !sort.isEmpty() && order[0] == sort.size();
        int score = SELECTIVE + pinned * 4 + (bounded != null ? 2 : 0) + (wholeKey ? WHOLE_KEY : 0) + (sorted ? 1 : 0);
        return new QueryPlan(index, ranges, order[1] == 1, order[0], score);
    }

    /** Each prefix followed by each value's key, in key order (so the ranges come in the index's order). */
    private static List<byte[]> extend(List<byte[]> prefixes, List<Object> values, boolean ascending) {
        TreeMap<byte[], byte[]> sorted = new TreeMap<>(KeyEncoding::compare);
        for (byte[] prefix : prefixes) {
            for (Object value : values) {
                byte[] key = new KeyEncoding.Builder().addRaw(prefix).add(value, ascending).bytes();
                sorted.put(key, key);
            }
        }
        return new ArrayList<>(sorted.keySet());
    }

    /**
     * The ranges for a bounded field after the pinned ones: inclusive at both ends (the query's own operators
     * decide the ends on the documents), within the bound's type bracket. On a multikey index one bound only:
     * MongoDB lets different elements of an array satisfy the two.
     */
    private static List<Range> bounded(List<byte[]> prefixes, Field field, boolean ascending, boolean multikey) {
        Object lower = field.lower;
        Object upper = field.upper;
        if (lower != null && upper != null && (multikey || KeyEncoding.bracket(lower) != KeyEncoding.bracket(upper))) {
            upper = null;
        }
        byte bracket = KeyEncoding.bracket(lower != null ? lower : upper);
        byte[] low;
        byte[] high;
        if (ascending) {
            low = lower != null ? part(lower, true) : new byte[] {bracket};
            high = upper != null ? part(upper, true) : new byte[] {bracket};
        } else {
            low = upper != null ? part(upper, false) : new byte[] {(byte) ~bracket};
            high = lower != null ? part(lower, false) : new byte[] {(byte) ~bracket};
        }
        List<Range> ranges = new ArrayList<>();
        for (byte[] prefix : prefixes) {
            byte[] from = new KeyEncoding.Builder().addRaw(prefix).addRaw(low).bytes();
            ranges.add(new Range(from, KeyEncoding.after(new KeyEncoding.Builder().addRaw(prefix).addRaw(high).bytes())));
        }
        return ranges;
    }

    private static byte[] part(Object value, boolean ascending) {
        return new KeyEncoding.Builder().add(value, ascending).bytes();
    }

    /**
     * {how many leading sort keys the index order gives, 1 if it gives them read backwards}. Pinned fields are
     * constant and satisfy any direction; after the index's own fields a non-unique index orders by document key,
     * that is by {@code _id}; a unique index leaves no ties after its fields.
     */
    private static int[] sortOrder(StoredIndex index, List<IndexKey> keys, int pinned, int points,
                                   Map<String, Field> fields, Document sort, boolean multikey) {
        if (sort.isEmpty() || multikey || points > 1) {
            return new int[] {0, 0};
        }
        int next = pinned;
        Boolean backwards = null;
        int given = 0;
        for (Map.Entry<String, Object> entry : sort.entrySet()) {
            String name = entry.getKey();
            boolean ascending = ((Number) entry.getValue()).intValue() > 0;
            Field field = fields.get(name);
            if (field != null && field.points != null && keys.subList(0, pinned).stream().anyMatch(k -> k.getKey().equals(name))) {
                given++;
                continue;
            }
            if (next >= keys.size() && index.isUnique()) {
                given = sort.size();
                break;
            }
            boolean forward;
            if (next < keys.size() && keys.get(next).getKey().equals(name)) {
                forward = keys.get(next).isAscending() == ascending;
            } else if (next == keys.size() && name.equals("_id")) {
                forward = ascending;
            } else {
                break;
            }
            if (backwards == null) {
                backwards = !forward;
            } else if (backwards == forward) {
                break;
            }
            next++;
            given++;
        }
        return new int[] {given, Boolean.TRUE.equals(backwards) ? 1 : 0};
    }
}
