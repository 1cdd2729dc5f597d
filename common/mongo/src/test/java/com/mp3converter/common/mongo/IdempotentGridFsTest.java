package com.mp3converter.common.mongo;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.TcpProxy;

import org.bson.BsonObjectId;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The idempotent GridFS writer against the local stack's MongoDB endpoint, read back by the driver's own GridFS. */
class IdempotentGridFsTest {
    private static final int CHUNK = IdempotentGridFs.CHUNK_BYTES;
    private final String database = "gridfs_" + LocalServers.unique();
    private MongoConnection mongo;
    private IdempotentGridFs mp3s;

    @BeforeEach
    void connect() {
        mongo = new MongoConnection(LocalServers.get("MONGO_URI"), database);
        mp3s = new IdempotentGridFs(mongo.database(), MongoConnection.MP3_BUCKET);
        mp3s.createIndexes();
    }

    @AfterEach
    void drop() {
        mongo.database().drop();
        mongo.close();
    }

    @Test
    void chunksGoOutAsTheyFillTheHeadGoesLastPatchedAndTheFileAppearsOnlyAtTheEnd() throws Exception {
        BsonObjectId id = new BsonObjectId(new ObjectId());
        byte[] content = random(5 * CHUNK + 1234, 1);
        long head = CHUNK + 100; // the tag's room spans the first chunk and a little of the second
        try (IdempotentGridFs.Writer writer = mp3s.open(id, head)) {
            writer.write(ByteBuffer.wrap(new byte[(int) head]));
            writer.write(ByteBuffer.wrap(content, (int) head, content.length - (int) head));
            awaitChunks(id, 3); // chunks 2, 3 and 4 are full and past the head: upserted while writing goes on
            assertThat("the head's chunks are held back", chunkNumbers(id), is(Arrays.asList(2, 3, 4)));
            assertThat("no file before it is finished", files().countDocuments(Filters.eq("_id", id)), is(0L));
            writer.patch(0, ByteBuffer.wrap(content, 0, (int) head));
            assertThat(writer.finish("a.mp3", new Document("jobId", "j")), is((long) content.length));
        }
        assertThat(read(id), is(content));
        assertThat(chunkNumbers(id), is(Arrays.asList(0, 1, 2, 3, 4, 5)));
    }

    @Test
    void aSecondWriteOfTheSameIdAfterAHalfWrittenOneLeavesExactlyTheNewFile() throws Exception {
        BsonObjectId id = new BsonObjectId(new ObjectId());
        try (IdempotentGridFs.Writer dead = mp3s.open(id, 0)) {
            dead.write(ByteBuffer.wrap(random(7 * CHUNK, 2))); // a process that died before finishing
            awaitChunks(id, 6);
        }
        byte[] content = random(2 * CHUNK + 5, 3);
        mp3s.write(id, "b.mp3", new Document(), new java.io.ByteArrayInputStream(content));
        assertThat(read(id), is(content));
        assertThat(chunkNumbers(id), is(Arrays.asList(0, 1, 2)));
        assertThat(files().countDocuments(), is(1L));
    }

    @Test
    void deleteRemovesAnUnfinishedFilesChunks() throws Exception {
        BsonObjectId id = new BsonObjectId(new ObjectId());
        try (IdempotentGridFs.Writer dead = mp3s.open(id, CHUNK)) {
            dead.write(ByteBuffer.wrap(random(4 * CHUNK, 4)));
            awaitChunks(id, 3);
        }
        mp3s.delete(id);
        assertThat(chunkNumbers(id), is(Arrays.asList()));
    }

    @Test
    void aPatchOutsideTheHeadIsRefused() {
        try (IdempotentGridFs.Writer writer = mp3s.open(new BsonObjectId(new ObjectId()), 10)) {
            writer.write(ByteBuffer.wrap(new byte[100]));
            assertThrows(IllegalArgumentException.class, () -> writer.patch(5, ByteBuffer.wrap(new byte[6])));
        }
    }

    @Test
    void mongoDbGoneMidWriteIsThrownToTheWriterRatherThanLeavingItWaiting() throws Exception {
        URI uri = URI.create(LocalServers.get("MONGO_URI").replace("mongodb://", "http://"));
        try (TcpProxy proxy = new TcpProxy(uri.getHost(), uri.getPort() < 0 ? 27017 : uri.getPort());
             MongoConnection viaProxy = new MongoConnection("mongodb://127.0.0.1:" + proxy.port(), database)) {
            IdempotentGridFs gridFs = new IdempotentGridFs(viaProxy.database(), MongoConnection.MP3_BUCKET);
            BsonObjectId id = new BsonObjectId(new ObjectId());
            try (IdempotentGridFs.Writer writer = gridFs.open(id, 0)) {
                writer.write(ByteBuffer.wrap(random(2 * CHUNK, 5)));
                awaitChunks(id, 2);
                proxy.stop();
                byte[] more = random(CHUNK, 6);
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(MongoException.class, () -> {
                    for (int i = 0; i < 20; i++) {
                        writer.write(ByteBuffer.wrap(more));
                    }
                    writer.finish("c.mp3", new Document());
                }));
            }
        }
    }

    private MongoCollection<Document> files() {
        return mongo.database().getCollection("mp3s.files");
    }

    private java.util.List<Integer> chunkNumbers(BsonObjectId id) {
        return mongo.database().getCollection("mp3s.chunks").find(Filters.eq("files_id", id)).sort(Sorts.ascending("n"))
                .map(d -> d.getInteger("n")).into(new java.util.ArrayList<>());
    }

    private void awaitChunks(BsonObjectId id, int count) throws InterruptedException {
        for (int i = 0; i < 200 && chunkNumbers(id).size() < count; i++) {
            Thread.sleep(50);
        }
    }

    private byte[] read(BsonObjectId id) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = mongo.mp3s().openDownloadStream(id)) {
            in.transferTo(out);
        }
        return out.toByteArray();
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
