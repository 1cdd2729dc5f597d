package com.mp3converter.common.mongo;

import java.io.IOException;
import java.io.InputStream;
import java.util.Date;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;

import org.bson.BsonValue;
import org.bson.Document;
import org.bson.types.Binary;

/**
 * Writes a GridFS file under an id chosen by the caller so that writing it again, even concurrently from a second
 * process, leaves exactly one file: every chunk is an upsert on (files_id, n), chunks past the new end are removed,
 * and the files document, written last, is an upsert on its id. Readers see the file only once its files document
 * exists; the driver's own upload stream cannot do this (it inserts new chunk documents every time).
 */
public final class IdempotentGridFs {
    public static final int CHUNK_BYTES = 255 * 1024;

    private final MongoCollection<Document> files;
    private final MongoCollection<Document> chunks;

    public IdempotentGridFs(MongoDatabase database, String bucket) {
        this.files = database.getCollection(bucket + ".files");
        this.chunks = database.getCollection(bucket + ".chunks");
    }

    /** The index GridFS readers and these upserts rely on; creating an existing index is a no-op. */
    public void createIndexes() {
        chunks.createIndex(Indexes.ascending("files_id", "n"), new IndexOptions().unique(true));
        files.createIndex(Indexes.ascending("filename", "uploadDate"));
    }

    /** Writes {@code content} as file {@code id}; the number of bytes written. */
    public long write(BsonValue id, String filename, Document metadata, InputStream content) throws IOException {
        byte[] buffer = new byte[CHUNK_BYTES];
        long length = 0;
        int n = 0;
        ReplaceOptions upsert = new ReplaceOptions().upsert(true);
        while (true) {
            int filled = content.readNBytes(buffer, 0, buffer.length);
            if (filled == 0) {
                break;
            }
            byte[] data = filled == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, filled);
            chunks.replaceOne(Filters.and(Filters.eq("files_id", id), Filters.eq("n", n)),
                    new Document("files_id", id).append("n", n).append("data", new Binary(data)), upsert);
            length += filled;
            n++;
            if (filled < buffer.length) {
                break;
            }
        }
        chunks.deleteMany(Filters.and(Filters.eq("files_id", id), Filters.gte("n", n)));
        files.replaceOne(Filters.eq("_id", id), new Document("_id", id).append("length", length)
                .append("chunkSize", CHUNK_BYTES).append("uploadDate", new Date()).append("filename", filename)
                .append("metadata", metadata), upsert);
        return length;
    }
}
