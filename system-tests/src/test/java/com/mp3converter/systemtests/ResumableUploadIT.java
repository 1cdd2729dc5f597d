package com.mp3converter.systemtests;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;

import io.tus.java.client.TusClient;
import io.tus.java.client.TusURLMemoryStore;
import io.tus.java.client.TusUpload;
import io.tus.java.client.TusUploader;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * Resumable uploads (tus 1.0.0 at /files/) against the four jars, driven by the tus project's Java client and by
 * raw requests where a client would hide what is checked. Uploads expire after 15 s here so expiry can be seen.
 */
class ResumableUploadIT {
    private static final String TUS = "1.0.0";
    private static Platform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = Platform.start(Map.of("GATEWAY_TUS_EXPIRY", "PT15S", "GATEWAY_TUS_SWEEP", "PT1S"));
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @Test
    void aCutUploadResumesFromHeadWithTheTusClientAndBecomesAJob() throws Exception {
        String email = platform.newUser("tus");
        String token = platform.login(email);
        Path video = TestMedia.longVideo(Duration.ofSeconds(4));
        byte[] bytes = Files.readAllBytes(video);
        assertThat("the video spans several GridFS chunks", bytes.length, greaterThan(3 * 255 * 1024));

        HttpResponse<String> created = send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(),
                "Upload-Length", Integer.toString(bytes.length),
                "Upload-Metadata", "filename " + b64("holiday clip.mp4") + ",bitrate " + b64("128")
                        + ",title " + b64("休暇のクリップ") + ",end " + b64("0:03.5"));
        assertThat(created.body(), created.statusCode(), is(201));
        String location = created.headers().firstValue("Location").orElseThrow();
        assertThat(location, startsWith("/files/"));
        assertThat(created.headers().firstValue("Upload-Offset").orElseThrow(), is("0"));

        int sent = 255 * 1024 + 100_000;
        cutAfter(token, location, bytes, sent);
        long offset = awaitOffset(token, location, sent);
        assertThat("every byte that arrived before the cut is kept", offset, is((long) sent));

        TusClient client = new TusClient();
        client.setUploadCreationURL(URI.create(platform.gateway("/files/").toString()).toURL());
        client.setHeaders(Map.of("Authorization", "Bearer " + token));
        TusURLMemoryStore store = new TusURLMemoryStore();
        client.enableResuming(store);
        TusUpload upload = new TusUpload(video.toFile());
        store.set(upload.getFingerprint(), platform.gateway(location).toURL());
        TusUploader uploader = client.resumeOrCreateUpload(upload);
        assertThat("the client resumed at the offset HEAD gave", uploader.getOffset(), is((long) sent));
        uploader.setChunkSize(64 * 1024);
        while (uploader.uploadChunk() > -1) {
            // the client sends until the file ends
        }
        uploader.finish();

        HttpResponse<String> head = send(token, "HEAD", location, HttpRequest.BodyPublishers.noBody());
        assertThat(head.headers().firstValue("Upload-Offset").orElseThrow(), is(Integer.toString(bytes.length)));
        String link = head.headers().firstValue("Link").orElseThrow();
        String jobId = link.replaceAll("^</jobs/([^>]+)>.*$", "$1");
        JsonNode job = platform.awaitFinished(token, jobId, Duration.ofMinutes(2));
        assertThat(job.toString(), job.get("state").asText(), is("DONE"));
        assertThat(job.get("sourceName").asText(), is("holiday clip.mp4"));
        assertThat(job.get("sourceBytes").asLong(), is((long) bytes.length));

        HttpResponse<Path> mp3 = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs/" + jobId + "/mp3"))
                        .header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofFile(Files.createTempFile(platform.dir, "tus", ".mp3")));
        assertThat(mp3.statusCode(), is(200));
        assertThat("the metadata's end cut it", Mp3Converter.durationOf(mp3.body()), closeTo(3.5, 0.05));
        assertThat(job.get("options").get("title").asText(), is("休暇のクリップ"));
        try (var tags = new org.bytedeco.javacv.FFmpegFrameGrabber(mp3.body().toFile())) {
            tags.start();
            assertThat("the metadata's title is the MP3's", tags.getMetadata().get("title"), is("休暇のクリップ"));
        }
        List<Mail> mail = Platform.awaitJobMails(email, 1, Duration.ofSeconds(60));
        assertThat("the same mail as an upload by POST /upload", mail, hasSize(1));
        assertThat(mail.getFirst().subject(), is("Your MP3 is ready"));
        assertThat(mail.getFirst().text(), containsString("\"holiday clip.mp4\""));
    }

    @Test
    void discoveryAndRefusalsInPlainWords() throws Exception {
        String token = platform.login(platform.newUser("tus-refusals"));
        HttpResponse<String> options = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/files/"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(options.statusCode(), is(204));
        assertThat(options.headers().firstValue("Tus-Version").orElseThrow(), is(TUS));
        assertThat(options.headers().firstValue("Tus-Extension").orElseThrow(),
                is("creation,creation-with-upload,termination,expiration"));
        assertThat(options.headers().firstValue("Tus-Max-Size").orElseThrow(), is("2147483648"));

        HttpResponse<String> noVersion = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/files/"))
                .header("Authorization", "Bearer " + token).header("Upload-Length", "100")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noVersion.statusCode(), is(412));
        assertThat(noVersion.headers().firstValue("Tus-Version").orElseThrow(), is(TUS));

        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody()), 400, "Upload-Length");
        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Upload-Length", "3000000000"),
                413, "limit");
        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Upload-Length", "100",
                "Upload-Metadata", "bitrate " + b64("999")), 400, "bitrate");
        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Upload-Length", "100",
                "Upload-Metadata", "loudness " + b64("-80")), 400, "from -70 to -5");
        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Upload-Length", "100",
                "Upload-Metadata", "start " + b64("0:30") + ",end " + b64("20")), 400, "'end' must be after 'start'");
        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Upload-Length", "100",
                "Upload-Metadata", "filename not-base64!"), 400, "base64");
        assertRefused(send(null, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Upload-Length", "100"), 401, "token");

        byte[] video = Files.readAllBytes(TestMedia.path(Sample.MP4_H264_AAC));
        HttpResponse<String> withBody = send(token, "POST", "/files/", HttpRequest.BodyPublishers.ofByteArray(video, 0, 1000),
                "Upload-Length", Integer.toString(video.length), "Content-Type", "application/offset+octet-stream");
        assertThat("creation-with-upload", withBody.statusCode(), is(201));
        assertThat(withBody.headers().firstValue("Upload-Offset").orElseThrow(), is("1000"));
        ZonedDateTime expires = ZonedDateTime.parse(withBody.headers().firstValue("Upload-Expires").orElseThrow(),
                DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(Duration.between(Instant.now(), expires.toInstant()).toSeconds(), lessThan(20L));
        String location = withBody.headers().firstValue("Location").orElseThrow();

        assertRefused(patch(token, location, 0, new byte[10]), 409, "byte 1000");
        assertRefused(send(token, "PATCH", location, HttpRequest.BodyPublishers.ofByteArray(new byte[10]),
                "Upload-Offset", "1000", "Content-Type", "application/octet-stream"), 415, "offset+octet-stream");
        assertRefused(patch(token, location, 1000, new byte[video.length]), 413, "left");
        String stranger = platform.login(platform.newUser("tus-stranger"));
        assertRefused(send(stranger, "HEAD", location, HttpRequest.BodyPublishers.noBody()), 404, null);
        assertRefused(patch(stranger, location, 1000, new byte[10]), 404, "no such upload");
        assertRefused(send(stranger, "DELETE", location, HttpRequest.BodyPublishers.noBody()), 404, "no such upload");

        assertThat(send(token, "DELETE", location, HttpRequest.BodyPublishers.noBody()).statusCode(), is(204));
        assertRefused(send(token, "HEAD", location, HttpRequest.BodyPublishers.noBody()), 404, null);

        byte[] text = "this is a plain text file and not a video at all; ".repeat(30).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> notMedia = send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(),
                "Upload-Length", Integer.toString(text.length));
        String textLocation = notMedia.headers().firstValue("Location").orElseThrow();
        assertRefused(patch(token, textLocation, 0, text), 415, "not a video or audio");
        assertRefused(send(token, "HEAD", textLocation, HttpRequest.BodyPublishers.noBody()), 404, null);
    }

    @Test
    void aSecondWriterIsRefusedWhileTheFirstHoldsTheUpload() throws Exception {
        String token = platform.login(platform.newUser("tus-race"));
        byte[] video = Files.readAllBytes(TestMedia.path(Sample.MP4_H264_AAC));
        String location = send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(),
                "Upload-Length", Integer.toString(video.length)).headers().firstValue("Location").orElseThrow();
        try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), platform.gateway.port)) {
            OutputStream out = slow.getOutputStream();
            out.write(patchHead(token, location, 0, video.length));
            out.write(video, 0, 600);
            out.flush();
            Thread.sleep(500); // the first request's head has been handled: it holds the upload
            HttpResponse<String> second = patch(token, location, 0, video);
            assertRefused(second, 423, "another request");
            out.write(video, 600, video.length - 600);
            out.flush();
            String answer = new String(slow.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            assertThat(answer, is("HTTP/1.1 204"));
        }
        HttpResponse<String> head = send(token, "HEAD", location, HttpRequest.BodyPublishers.noBody());
        assertThat(head.headers().firstValue("Upload-Offset").orElseThrow(), is(Integer.toString(video.length)));
        assertThat(head.headers().firstValue("Link").orElseThrow(), containsString("/jobs/"));
        assertRefused(patch(token, location, 0, video), 409, "byte " + video.length);
    }

    @Test
    void anAbandonedUploadExpiresWithItsBytes() throws Exception {
        String token = platform.login(platform.newUser("tus-expiry"));
        byte[] video = Files.readAllBytes(TestMedia.longVideo(Duration.ofSeconds(4)));
        String location = send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(),
                "Upload-Length", Integer.toString(video.length)).headers().firstValue("Location").orElseThrow();
        assertThat(patch(token, location, 0, java.util.Arrays.copyOf(video, 600_000)).statusCode(), is(204));
        try (MongoConnection mongo = new MongoConnection(platform.env.get("MONGO_URI"), platform.env.get("MONGO_DATABASE"))) {
            String uploadId = location.substring("/files/".length());
            var record = mongo.database().getCollection("uploads").find(Filters.eq("_id", uploadId)).first();
            var fileId = new org.bson.types.ObjectId(record.getString("fileId"));
            var chunks = mongo.database().getCollection(MongoConnection.VIDEOS_BUCKET + ".chunks");
            assertThat("two full chunks stored; the rest waits in the upload record",
                    chunks.countDocuments(Filters.eq("files_id", fileId)), is(2L));

            Instant deadline = Instant.now().plusSeconds(40);
            int status = 200;
            while (status != 404 && Instant.now().isBefore(deadline)) {
                Thread.sleep(500);
                status = send(token, "HEAD", location, HttpRequest.BodyPublishers.noBody()).statusCode();
            }
            assertThat("the upload expired", status, is(404));
            assertThat("its bytes were removed", chunks.countDocuments(Filters.eq("files_id", fileId)), is(0L));
        }
    }

    /** Sends a PATCH with {@code sent} of the bytes after its head, then closes the connection. */
    private static void cutAfter(String token, String location, byte[] bytes, int sent) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), platform.gateway.port)) {
            OutputStream out = socket.getOutputStream();
            out.write(patchHead(token, location, 0, bytes.length));
            out.write(bytes, 0, sent);
            out.flush();
            Thread.sleep(300);
        }
    }

    private static byte[] patchHead(String token, String location, long offset, int length) {
        return ("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                + "\r\nTus-Resumable: " + TUS + "\r\nUpload-Offset: " + offset
                + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    /** HEAD until the upload's offset is above {@code atLeast} and stops moving (the cut request has ended). */
    private static long awaitOffset(String token, String location, long atLeast) throws Exception {
        Instant deadline = Instant.now().plusSeconds(10);
        long offset = -1;
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> head = send(token, "HEAD", location, HttpRequest.BodyPublishers.noBody());
            assertThat("HEAD " + location, head.statusCode(), is(200));
            long now = Long.parseLong(head.headers().firstValue("Upload-Offset").orElseThrow());
            if (now >= atLeast && now == offset) {
                return now;
            }
            offset = now;
            Thread.sleep(300);
        }
        return offset;
    }

    private static HttpResponse<String> patch(String token, String location, long offset, byte[] body) throws Exception {
        return send(token, "PATCH", location, HttpRequest.BodyPublishers.ofByteArray(body),
                "Upload-Offset", Long.toString(offset), "Content-Type", "application/offset+octet-stream");
    }

    private static HttpResponse<String> send(String token, String method, String path, HttpRequest.BodyPublisher body,
                                             String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway(path)).method(method, body)
                .header("Tus-Resumable", TUS);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return Platform.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(HttpResponse<String> response, int status, String words) throws Exception {
        assertThat(response.body(), response.statusCode(), is(status));
        assertThat("every tus answer names the protocol", response.headers().firstValue("Tus-Resumable").orElse(""), is(TUS));
        if (words != null) {
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.get("detail").asText(), containsString(words));
            assertThat(problem.get("detail").asText(), not(containsString("Exception")));
            assertThat(problem.get("instance").asText(), startsWith("/files"));
        }
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
