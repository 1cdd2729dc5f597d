package com.mp3converter.benchmarks;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSBuckets;
import com.mongodb.client.gridfs.GridFSUploadStream;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Streams a large file through the gateway (started here at -Xmx256m against the running stack) and beside it
 * does the same with the plain GridFS driver, in the same run: upload throughput, download throughput, and the
 * gateway's peak RSS (VmHWM). Usage: [MONGO_URI=...] GatewayBench [MiB=1024]
 */
public final class GatewayBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayBench() {
    }

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        long bytes = mib << 20;
        Map<String, String> env = env();
        String id = UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createDirectories(Path.of(".local/bench"));
        Path payload = payload(dir, bytes);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> gatewayEnv = new HashMap<>(env);
        gatewayEnv.put("SERVER_PORT", Integer.toString(port));
        gatewayEnv.put("MONGO_DATABASE", "bench_" + id);
        gatewayEnv.put("STREAMS_VIDEOS_NAME", "bench.videos." + id);
        gatewayEnv.put("STREAMS_NOTIFICATIONS_NAME", "bench.notifications." + id);
        gatewayEnv.put("STREAMS_MAX_DASH_AGE", "PT1H");
        gatewayEnv.put("GATEWAY_UPLOAD_MAX_DASH_BYTES", Long.toString(bytes * 2));
        gatewayEnv.put("GATEWAY_QUOTA_MAX_DASH_BYTES_DASH_STORED", Long.toString(bytes * 4));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "--sun-misc-unsafe-memory-access=allow", "-jar", "gateway/target/gateway.jar")
                .redirectErrorStream(true).redirectOutput(dir.resolve("gateway-bench.log").toFile());
        pb.environment().putAll(gatewayEnv);
        Process gateway = pb.start();
        try (MongoClient client = MongoClients.create(env.get("MONGO_URI"))) {
            MongoDatabase db = client.getDatabase("bench_" + id);
            URI base = URI.create("http://127.0.0.1:" + port);
            awaitReady(base);
            String email = "bench-" + id + "@example.com";
            String password = "benchmark password " + id;
            HTTP.send(HttpRequest.newBuilder(base.resolve("/signup")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}")).build(),
                    HttpResponse.BodyHandlers.discarding());
            String token = HTTP.send(HttpRequest.newBuilder(base.resolve("/login")).header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString((email + ":" + password).getBytes(StandardCharsets.UTF_8)))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).body();
            String userId = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1])).get("sub").asText();
            long rssBefore = peakRss(gateway.pid());

            String boundary = "bench" + id;
            byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            HttpResponse<String> upload = HTTP.send(HttpRequest.newBuilder(base.resolve("/upload"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                            HttpRequest.BodyPublishers.ofFile(payload), HttpRequest.BodyPublishers.ofByteArray(tail))).build(),
                    HttpResponse.BodyHandlers.ofString());
            double gatewayUpload = (System.nanoTime() - t0) / 1e9;
            if (upload.statusCode() != 202) {
                throw new IllegalStateException("upload answered " + upload.statusCode() + ": " + upload.body());
            }
            long rssUpload = peakRss(gateway.pid());

            GridFSBucket reference = GridFSBuckets.create(db, MongoConnection.MP3_BUCKET);
            ObjectId fileId = new ObjectId();
            t0 = System.nanoTime();
            try (InputStream in = Files.newInputStream(payload);
                 GridFSUploadStream out = reference.openUploadStream(new org.bson.BsonObjectId(fileId), "big.mp3")) {
                in.transferTo(out);
            }
            double driverUpload = (System.nanoTime() - t0) / 1e9;

            String jobId = UUID.randomUUID().toString();
            db.getCollection("jobs").insertOne(new Document("_id", jobId)
                    .append("owner", new Document("userId", userId).append("email", email))
                    .append("sourceName", "big.mp4").append("sourceBytes", bytes).append("state", "DONE").append("progress", 1.0)
                    .append("attempts", 1).append("mp3FileId", fileId.toHexString()).append("mp3Bytes", bytes)
                    .append("createdAt", new Date()).append("updatedAt", new Date()));
            t0 = System.nanoTime();
            HttpResponse<InputStream> download = HTTP.send(HttpRequest.newBuilder(base.resolve("/jobs/" + jobId + "/mp3"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
            long received;
            try (InputStream in = download.body()) {
                received = in.transferTo(OutputStream.nullOutputStream());
            }
            double gatewayDownload = (System.nanoTime() - t0) / 1e9;
            long rssDownload = peakRss(gateway.pid());
            t0 = System.nanoTime();
            long read;
            try (InputStream in = reference.openDownloadStream(fileId).batchSize(MongoConnection.CHUNKS_PER_BATCH)) {
                read = in.transferTo(OutputStream.nullOutputStream());
            }
            double driverDownload = (System.nanoTime() - t0) / 1e9;
            if (received != bytes || read != bytes) {
                throw new IllegalStateException("received " + received + " and read " + read + " of " + bytes + " bytes");
            }
            double mb = bytes / 1e6;
            System.out.printf("MongoDB endpoint: %s (the local stack's mongo-java-server STAND-IN unless MONGO_URI was set)%n",
                    env.get("MONGO_URI"));
            System.out.printf("%d MiB, gateway -Xmx256m%n", mib);
            System.out.printf("upload:   gateway %7.1f MB/s   plain GridFS driver %7.1f MB/s   ratio %.2f%n",
                    mb / gatewayUpload, mb / driverUpload, driverUpload / gatewayUpload);
            System.out.printf("download: gateway %7.1f MB/s   plain GridFS driver %7.1f MB/s   ratio %.2f%n",
                    mb / gatewayDownload, mb / driverDownload, driverDownload / gatewayDownload);
            System.out.printf("gateway peak RSS: %d MiB after start, %d MiB after the upload, %d MiB after the download%n",
                    rssBefore >> 10, rssUpload >> 10, rssDownload >> 10);
            db.drop();
        } finally {
            gateway.destroy();
            gateway.waitFor();
        }
    }

    private static Map<String, String> env() throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(".local/env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        if (System.getenv("MONGO_URI") != null) {
            env.put("MONGO_URI", System.getenv("MONGO_URI")); // e.g. a real MongoDB, or a stand-in kept in memory
        }
        return env;
    }

    /** A file of the given size that sniffs as MP4 (real MP4 head, then pseudo-random bytes). */
    private static Path payload(Path dir, long bytes) throws Exception {
        Path file = dir.resolve("payload-" + (bytes >> 20) + "MiB.bin");
        if (Files.isRegularFile(file) && Files.size(file) == bytes) {
            return file;
        }
        byte[] head = Files.readAllBytes(TestMedia.path(Sample.MP4_H264_AAC));
        byte[] block = new byte[1 << 20];
        new Random(7).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(head, 0, Math.min(head.length, 4096));
            long left = bytes - Math.min(head.length, 4096);
            while (left > 0) {
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
        }
        return file;
    }

    private static void awaitReady(URI base) throws Exception {
        for (int i = 0; i < 240; i++) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(base.resolve("/health/ready")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // starting
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the gateway did not become ready");
    }

    /** VmHWM of a process in KiB: the peak resident set size since it started. */
    private static long peakRss(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
