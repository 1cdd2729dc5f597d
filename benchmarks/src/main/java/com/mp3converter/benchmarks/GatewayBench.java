package com.mp3converter.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSBuckets;
import com.mongodb.client.gridfs.GridFSUploadStream;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.bson.BsonObjectId;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * A large file through a gateway started here as the image runs it, against the plain GridFS driver doing the same
 * with the same bytes, alternating, into equally empty databases of the same MongoDB:
 * <ul>
 * <li>{@code upload_ratio}: driver write time ÷ {@code POST /upload} time (1 = as fast as the driver);</li>
 * <li>{@code tus_upload_ratio}: the same for a resumable upload at {@code /files/} (tus, PATCHes of 64 MiB);</li>
 * <li>{@code download_ratio}: driver read time ÷ {@code GET /jobs/{id}/mp3} time;</li>
 * <li>{@code gateway_peak_rss_mb}: the gateway's peak resident memory (VmHWM) over all three;</li>
 * <li>{@code transfers_at_once_peak_rss_mb}: its peak while as many 64 MiB uploads and as many 64 MiB downloads
 * run at once as {@code gateway.transfers.max-at-once} lets in, twice that number sent together: the heap
 * (jvm/gateway.options) is sized for the cap, and the gateway must come through it.</li>
 * </ul>
 */
final class GatewayBench {
    private static final long TUS_PATCH_BYTES = 64L << 20;
    private GatewayBench() {
    }

    static void run(Stack stack, Results results, long mib, int runs) throws Exception {
        long bytes = mib << 20;
        Path payload = payload(Files.createDirectories(stack.root.resolve(".local/bench")), bytes);
        List<Path> slices = slices(payload, bytes);
        try (Fleet fleet = new Fleet(stack); MongoClient client = MongoClients.create(stack.env.get("MONGO_URI"));
             Curl curl = new Curl(payload.getParent())) {
            ServiceProcess gateway = fleet.startReady("gateway", Map.of(
                    "GATEWAY_UPLOAD_MAX_DASH_BYTES", Long.toString(bytes * 2),
                    "GATEWAY_QUOTA_MAX_DASH_BYTES_DASH_STORED", Long.toString(bytes * 64),
                    "GATEWAY_QUOTA_MAX_DASH_JOBS_DASH_IN_DASH_FLIGHT", "1000", "GATEWAY_DOWNLOADS_MAX_DASH_PER_DASH_USER", "1000"));
            URI base = gateway.uri("/");
            String token = Stack.newUser(base);
            curl.authorize(token);
            String userId = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1])).get("sub").asText();
            MongoDatabase gatewayDb = client.getDatabase(fleet.env.get("MONGO_DATABASE"));
            System.out.printf("%d MiB, gateway %s, MongoDB %s%n", mib, Fleet.serviceJvm("gateway"), stack.mongoDescription());

            Alternating upload = Alternating.run("upload: gateway POST /upload vs the plain GridFS driver", runs,
                    () -> intoGateway(gatewayDb, () -> uploadThroughGateway(curl, base, payload)),
                    () -> intoFreshDatabase(client, payload));
            results.put("upload_ratio", Stats.of(upload.speedRatios()));

            Alternating tus = Alternating.run("resumable upload: gateway tus /files/ (64 MiB PATCHes) vs the plain GridFS driver",
                    runs, () -> intoGateway(gatewayDb, () -> tusThroughGateway(curl, base, token, slices, bytes)),
                    () -> intoFreshDatabase(client, payload));
            results.put("tus_upload_ratio", Stats.of(tus.speedRatios()));

            GridFSBucket mp3s = GridFSBuckets.create(gatewayDb, MongoConnection.MP3_BUCKET);
            ObjectId fileId = new ObjectId();
            write(mp3s, fileId, payload);
            String jobId = doneJob(gatewayDb, userId, fileId, bytes);
            Alternating download = Alternating.run("download: gateway GET /jobs/{id}/mp3 vs the plain GridFS driver", runs,
                    () -> Alternating.time(() -> check(bytes, downloadThroughGateway(curl, base, jobId))),
                    () -> Alternating.time(() -> check(bytes, read(mp3s, fileId))));
            results.put("download_ratio", Stats.of(download.speedRatios()));
            results.put("gateway_peak_rss_mb", Stats.round(Fleet.rssMib(gateway.process().pid(), "VmHWM")));
            Files.writeString(Path.of("/proc/" + gateway.process().pid() + "/clear_refs"), "5");
            atOnce(stack.root, curl, base, jobId, slices.getFirst(), gateway);
            results.put("transfers_at_once_peak_rss_mb", Stats.round(Fleet.rssMib(gateway.process().pid(), "VmHWM")));
        }
    }

    private static void uploadThroughGateway(Curl curl, URI base, Path payload) {
        String status = curl.run("%{http_code}", "--form", "file=@" + payload + ";filename=big.mp4;type=video/mp4",
                base.resolve("/upload").toString());
        if (!status.equals("202")) {
            throw new IllegalStateException("upload answered " + status);
        }
    }

    /** One upload through the gateway, timed; then its database emptied again for the next run. */
    private static double intoGateway(MongoDatabase gatewayDb, Runnable upload) {
        double seconds = Alternating.time(upload);
        emptyVideos(gatewayDb);
        return seconds;
    }

    /** The plain driver's write of the same bytes into a database as empty as the gateway's, timed. */
    private static double intoFreshDatabase(MongoClient client, Path payload) {
        MongoDatabase fresh = client.getDatabase("bench_driver_" + UUID.randomUUID().toString().substring(0, 8));
        try {
            return Alternating.time(() -> write(GridFSBuckets.create(fresh, MongoConnection.VIDEOS_BUCKET), new ObjectId(), payload));
        } finally {
            fresh.drop();
        }
    }

    /** Creates the upload, then sends it in PATCHes of {@link #TUS_PATCH_BYTES}, as a tus client with a chunk size does. */
    private static void tusThroughGateway(Curl curl, URI base, String token, List<Path> slices, long bytes) {
        try {
            HttpResponse<String> created = Stack.HTTP.send(HttpRequest.newBuilder(base.resolve("/files/"))
                    .header("Authorization", "Bearer " + token).header("Tus-Resumable", "1.0.0")
                    .header("Upload-Length", Long.toString(bytes))
                    .header("Upload-Metadata", "filename " + Base64.getEncoder().encodeToString("big.mp4".getBytes()))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("creation answered " + created.statusCode() + ": " + created.body());
            }
            String upload = base.resolve(created.headers().firstValue("Location").orElseThrow()).toString();
            long offset = 0;
            for (Path slice : slices) {
                String status = curl.run("%{http_code}", "--request", "PATCH", "--upload-file", slice.toString(),
                        "--header", "Tus-Resumable: 1.0.0", "--header", "Upload-Offset: " + offset,
                        "--header", "Content-Type: application/offset+octet-stream", upload);
                if (!status.equals("204")) {
                    throw new IllegalStateException("PATCH at " + offset + " answered " + status);
                }
                offset += Files.size(slice);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The payload cut into files of {@link #TUS_PATCH_BYTES}, one per PATCH (curl sends a file with its length). */
    private static List<Path> slices(Path payload, long bytes) throws IOException {
        List<Path> slices = new ArrayList<>();
        try (FileChannel in = FileChannel.open(payload)) {
            for (long offset = 0; offset < bytes; offset += TUS_PATCH_BYTES) {
                Path slice = payload.resolveSibling(payload.getFileName() + ".patch" + slices.size());
                long length = Math.min(TUS_PATCH_BYTES, bytes - offset);
                if (!Files.isRegularFile(slice) || Files.size(slice) != length) {
                    try (FileChannel out = FileChannel.open(slice,
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                        for (long done = 0; done < length; ) {
                            done += in.transferTo(offset + done, length - done, out);
                        }
                    }
                }
                slices.add(slice);
            }
        }
        return slices;
    }

    private static long downloadThroughGateway(Curl curl, URI base, String jobId) {
        String[] answer = curl.run("%{http_code} %{size_download}", base.resolve("/jobs/" + jobId + "/mp3").toString()).split(" ");
        if (!answer[0].equals("200")) {
            throw new IllegalStateException("download answered " + answer[0]);
        }
        return Long.parseLong(answer[1]);
    }

    /**
     * Twice the cap of simultaneous transfers at once, half of them 64 MiB uploads and half 64 MiB ranges of the MP3:
     * every one either completes or is told to try again (503), and the gateway lives on.
     */
    private static void atOnce(Path root, Curl curl, URI base, String jobId, Path slice, ServiceProcess gateway) throws Exception {
        int cap = Integer.parseInt(Files.readAllLines(root.resolve("gateway/src/main/resources/application.yaml")).stream()
                .map(String::trim).filter(line -> line.startsWith("max-at-once:")).findFirst().orElseThrow()
                .replaceAll("\\D", ""));
        List<Future<String>> answers = new ArrayList<>();
        long started = System.nanoTime();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < cap; i++) {
                answers.add(pool.submit(() -> "upload " + curl.run("%{http_code}", "--form",
                        "file=@" + slice + ";filename=big.mp4;type=video/mp4", base.resolve("/upload").toString())));
                answers.add(pool.submit(() -> "download " + curl.run("%{http_code}", "--range", "0-" + ((64L << 20) - 1),
                        base.resolve("/jobs/" + jobId + "/mp3").toString())));
            }
        }
        Map<String, Long> counts = new TreeMap<>();
        for (var answer : answers) {
            counts.merge(answer.get(), 1L, Long::sum);
        }
        System.out.printf("%d transfers sent at once (cap %d): %s in %.1f s; the gateway %s%n", answers.size(), cap, counts,
                (System.nanoTime() - started) / 1e9, gateway.process().isAlive() ? "came through" : "DIED");
        if (!gateway.process().isAlive() || counts.keySet().stream().anyMatch(a -> !a.matches("(upload 202|download 206|.* 503)"))) {
            throw new IllegalStateException("transfers at once: " + counts + "; the gateway's log: " + gateway.tail());
        }
    }

    /** The plain driver's write, as a user of it would: its upload stream, the JDK's transferTo. */
    private static void write(GridFSBucket bucket, ObjectId id, Path payload) {
        try (InputStream in = Files.newInputStream(payload);
             GridFSUploadStream out = bucket.openUploadStream(new BsonObjectId(id), "big.mp4")) {
            in.transferTo(out);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plain driver's read, fetching as many chunks per round trip as the gateway does (the stand-in needs a limit). */
    private static long read(GridFSBucket bucket, ObjectId id) {
        try (InputStream in = bucket.openDownloadStream(id).batchSize(MongoConnection.CHUNKS_PER_BATCH)) {
            return in.transferTo(OutputStream.nullOutputStream());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(long expected, long received) {
        if (received != expected) {
            throw new IllegalStateException("received " + received + " of " + expected + " bytes");
        }
    }

    /** What an upload left: its video and its job (the store is as empty for the next run as for the driver's). */
    private static void emptyVideos(MongoDatabase db) {
        db.getCollection(MongoConnection.VIDEOS_BUCKET + ".files").deleteMany(new Document());
        db.getCollection(MongoConnection.VIDEOS_BUCKET + ".chunks").deleteMany(new Document());
        db.getCollection("jobs").deleteMany(new Document());
        db.getCollection("uploads").deleteMany(new Document());
    }

    /** A finished job owning the stored file, in the shape the gateway's fold records one. */
    private static String doneJob(MongoDatabase db, String userId, ObjectId fileId, long bytes) {
        String jobId = UUID.randomUUID().toString();
        Date now = new Date();
        db.getCollection("jobs").insertOne(new Document("_id", jobId)
                .append("owner", new Document("userId", userId).append("email", "bench@example.com"))
                .append("sourceName", "big.mp4").append("sourceBytes", bytes).append("options", new Document())
                .append("state", "DONE").append("progress", 1.0).append("attempts", 1)
                .append("mp3", new Document("fileId", fileId.toHexString()).append("bytes", bytes).append("durationSeconds", 1.0))
                .append("createdAt", now).append("updatedAt", now).append("finishedAt", now)
                .append("version", 1L).append("foldedOffset", 0L));
        return jobId;
    }

    /** A file of the given size that sniffs as MP4 (a real MP4's first 4 KiB, then pseudo-random bytes). */
    private static Path payload(Path dir, long bytes) throws Exception {
        Path file = dir.resolve("payload-" + (bytes >> 20) + "MiB.bin");
        if (Files.isRegularFile(file) && Files.size(file) == bytes) {
            return file;
        }
        byte[] head = Files.readAllBytes(TestMedia.path(Sample.MP4_H264_AAC));
        byte[] block = new byte[1 << 20];
        new Random(7).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            int headBytes = Math.min(head.length, 4096);
            out.write(head, 0, headBytes);
            for (long left = bytes - headBytes; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
        return file;
    }
}
