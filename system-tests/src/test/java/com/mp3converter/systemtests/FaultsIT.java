package com.mp3converter.systemtests;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.common.testing.TcpProxy;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.bson.BsonValue;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The platform's worst days, against the four jars with two transcoder JVMs, two gateway replicas and the backing
 * servers behind TCP proxies that can take an endpoint away. After each fault every accepted upload must end as
 * its media allows (DONE, or FAILED for a file without sound) with exactly one MP3 when DONE, one e-mail and one
 * webhook delivery, no file left behind and no stuck job. Every lease is shortened to {@link #LEASE}, and twins
 * are looked for {@link #LATE_TWINS} after the last expected message: longer than any lease and the retry behind it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {
    private static final int MAX_ATTEMPTS = 3;
    private static final Duration LEASE = Duration.ofSeconds(8);
    private static final Duration LATE_TWINS = LEASE.plusSeconds(7);
    private static TcpProxy mongoProxy;
    private static TcpProxy dbProxy;
    private static TcpProxy smtpProxy;
    private static Platform platform;
    private static ServiceProcess spareGateway;
    private static MongoClient mongo;
    private static MongoDatabase db;
    private static StreamSettings streams;
    private static WebhookReceiver hooks;
    private static int transcoders = 2;
    private static int gateways = 1;
    private static final Map<String, String> OWNERS = new ConcurrentHashMap<>();
    private static final Map<String, String> EXPECTED = new ConcurrentHashMap<>();
    private static final Map<String, String> TOKENS = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        URI mongoUri = URI.create(LocalServers.get("MONGO_URI").replace("mongodb://", "http://"));
        mongoProxy = new TcpProxy(mongoUri.getHost(), mongoUri.getPort() < 0 ? 27017 : mongoUri.getPort());
        URI dbUri = URI.create(LocalServers.get("DB_URL").replace("jdbc:mariadb://", "http://"));
        dbProxy = new TcpProxy(dbUri.getHost(), dbUri.getPort());
        smtpProxy = new TcpProxy(LocalServers.get("SMTP_HOST"), Integer.parseInt(LocalServers.get("SMTP_PORT")));
        hooks = WebhookReceiver.start(0);
        String lease = LEASE.toString();
        Map<String, String> overrides = new HashMap<>();
        overrides.put("MONGO_URI", "mongodb://127.0.0.1:" + mongoProxy.port());
        overrides.put("DB_URL", "jdbc:mariadb://127.0.0.1:" + dbProxy.port() + "/{db}");
        overrides.put("SMTP_PORT", Integer.toString(smtpProxy.port()));
        overrides.put("MAILER_RETRY_BACKOFF", "PT0.5S");
        overrides.put("MAILER_RETRY_IN_DASH_PLACE", "PT5S");
        overrides.put("TRANSCODER_RETRY_MAX_DASH_ATTEMPTS", Integer.toString(MAX_ATTEMPTS));
        // every lease short, and what it must outlast shorter still
        overrides.put("MAILER_LEASE", lease);
        overrides.put("SMTP_CONNECT_DASH_TIMEOUT", "PT2S");
        overrides.put("SMTP_READ_DASH_TIMEOUT", "PT2S");
        overrides.put("SMTP_WRITE_DASH_TIMEOUT", "PT2S");
        overrides.put("WEBHOOKS_LEASE", lease);
        overrides.put("WEBHOOKS_TIMEOUT", "PT3S");
        overrides.put("WEBHOOKS_CONNECT_DASH_TIMEOUT", "PT1S");
        overrides.put("WEBHOOKS_RETRY_DASH_SCHEDULE", "PT1S,PT2S,PT5S,PT10S,PT30S");
        overrides.put("WEBHOOKS_ALLOW", hooks.endpoint());
        overrides.put("GATEWAY_OUTBOX_LEASE", lease);
        overrides.put("GATEWAY_UPLOAD_LEASE", lease);
        overrides.put("CONNECTIONS_BODY_DASH_STALL_DASH_TIMEOUT", "PT3S");
        overrides.put("GATEWAY_TUS_SWEEP", "PT2S");
        platform = Platform.start(overrides, transcoders);
        spareGateway = platform.launchGateway(Integer.toString(gateways++));
        mongo = MongoClients.create(LocalServers.get("MONGO_URI"));
        db = mongo.getDatabase(platform.env.get("MONGO_DATABASE"));
        streams = StreamSettings.from(ServiceServer.config(Map.of("streams.videos.name", platform.env.get("STREAMS_VIDEOS_NAME"))));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            platform.close();
        } finally {
            hooks.stop();
            mongo.close();
            mongoProxy.close();
            dbProxy.close();
            smtpProxy.close();
        }
    }

    /** A test that failed mid-outage must not leave the endpoint gone for the ones after it. */
    @AfterEach
    void endpointsBack() throws Exception {
        try {
            mongoProxy.start();
        } finally {
            try {
                dbProxy.start();
            } finally {
                smtpProxy.start();
            }
        }
    }

    @Test
    @Order(1)
    void killMinus9OfTheConvertingTranscoderHandsTheJobToTheOther() throws Exception {
        String email = user("kill-transcoder");
        String token = token(email);
        String jobId = upload(email, TestMedia.longWav(Duration.ofMinutes(10)));
        awaitProgress(token, jobId, 1);
        ServiceProcess victim = worker(jobId);
        victim.kill();
        JsonNode done = platform.awaitFinished(token, jobId, Duration.ofSeconds(180));
        assertThat(done.toString(), done.get("state").asText(), is("DONE"));
        assertThat("a second attempt after the kill", done.get("attempts").asInt(), is(2));
        assertEveryJobEndedOnce(List.of(email));
        replaceTranscoder();
    }

    @Test
    @Order(2)
    void aJobThatKillsItsTranscoderOnEveryAttemptFailsAfterTheMaximumAndItsPartitionMovesOn() throws Exception {
        String email = user("killer-job");
        String token = token(email);
        String killer = upload(email, TestMedia.longWav(Duration.ofMinutes(10)));
        EXPECTED.put(killer, "FAILED");
        List<ServiceProcess> replacements = new ArrayList<>();
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            awaitProgress(token, killer, attempt);
            worker(killer).kill(); // what a file that crashes the decoder would do, every time
            replacements.add(platform.launch("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME",
                    "transcoder-" + platform.id + "-" + (char) ('a' + transcoders++))));
        }
        for (ServiceProcess replacement : replacements) {
            if (replacement.alive()) { // the others took a later attempt and were killed with it
                replacement.awaitReady(Duration.ofSeconds(90));
            }
        }
        JsonNode failed = platform.awaitFinished(token, killer, Duration.ofSeconds(180));
        assertThat(failed.toString(), failed.get("state").asText(), is("FAILED"));
        assertThat(failed.at("/error/code").asText(), is("retries-exhausted"));
        assertThat(failed.get("attempts").asInt(), is(MAX_ATTEMPTS));
        String sameFile;
        do { // a job on the killer's partition, behind it
            sameFile = upload(email, TestMedia.path(Sample.WAV_22K));
        } while (!streams.videoPartitionOf(sameFile).equals(streams.videoPartitionOf(killer)));
        assertThat(platform.awaitFinished(token, sameFile, Duration.ofSeconds(120)).get("state").asText(), is("DONE"));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(3)
    void killMinus9OfTheMailerInTheMiddleOfABatch() throws Exception {
        String email = user("kill-mailer");
        smtpProxy.delayConnections(Duration.ofMillis(400)); // a slow mail server: the batch takes seconds
        try {
            for (int i = 0; i < 8; i++) {
                upload(email, TestMedia.path(Sample.WAV_22K));
            }
            int beforeKill = Platform.awaitJobMails(email, 2, Duration.ofSeconds(60)).size();
            platform.running("mailer").getFirst().kill();
            assertThat("the kill landed mid-batch", beforeKill, both(greaterThanOrEqualTo(2)).and(lessThan(8)));
            platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
            // kill -9 between the SMTP server's reply and the delivery record resends that one mail (same
            // Message-ID) once its lease expires: the one window SMTP leaves; nothing else may come twice
            assertEveryJobEndedOnce(List.of(email), true);
            List<String> arrived = jobMails(email).stream().map(Mail::messageId).toList();
            assertThat("at most the one mail in flight is resent: " + arrived, arrived.size(), lessThanOrEqualTo(9));
        } finally {
            smtpProxy.delayConnections(Duration.ZERO);
        }
    }

    @Test
    @Order(4)
    void theMongoEndpointGoneFor10SecondsWhileJobsConvert() throws Exception {
        String email = user("mongo-down");
        String token = token(email);
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(upload(email, TestMedia.longWav(Duration.ofMinutes(3))));
        }
        // the last one: the first can be converted (3 minutes of audio, about a second) while the others upload
        awaitProgress(token, jobs.getLast(), 1);
        mongoProxy.stop();
        Instant back = Instant.now().plusSeconds(10);
        HttpResponse<String> during = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(during.body(), during.statusCode(), is(503));
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), back).toMillis()));
        mongoProxy.start();
        jobs.add(upload(email, TestMedia.path(Sample.OGG_OPUS_51)));
        for (String jobId : jobs) {
            platform.awaitFinished(token, jobId, Duration.ofSeconds(180));
        }
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(5)
    void theDatabaseGoneFor10SecondsRefusesLoginsCleanlyAndIssuedTokensKeepWorking() throws Exception {
        String email = user("db-down");
        String token = token(email);
        dbProxy.stop();
        HttpResponse<String> login = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/login"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (email + ":" + Platform.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.body(), login.statusCode(), is(503));
        String jobId = upload(email, TestMedia.path(Sample.AVI_MPEG4_MP3));
        Thread.sleep(10_000);
        dbProxy.start();
        platform.awaitFinished(token, jobId, Duration.ofSeconds(120));
        Instant deadline = Instant.now().plusSeconds(30);
        HttpResponse<String> again;
        do { // auth's pool reconnects at its next use; a client retries a 503 as it says
            Thread.sleep(500);
            again = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/login"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (email + ":" + Platform.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } while (again.statusCode() == 503 && Instant.now().isBefore(deadline));
        assertThat("logins work again once the database is back: " + again.body(), again.statusCode(), is(200));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(6)
    void rabbitMqRestartedWhileUploadsAndConversionsRun() throws Exception {
        String email = user("broker-restart");
        String token = token(email);
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            jobs.add(upload(email, TestMedia.path(Sample.TS_MPEG2_MP2)));
        }
        rabbitmqctl("stop_app");
        for (int i = 0; i < 2; i++) {
            jobs.add(upload(email, TestMedia.path(Sample.WEBM_NAMED_MP4)));
        }
        Thread.sleep(3000);
        rabbitmqctl("start_app");
        for (int i = 0; i < 2; i++) {
            jobs.add(upload(email, TestMedia.path(Sample.MP4_TWO_VORBIS_AUDIO_ONLY)));
        }
        for (String jobId : jobs) {
            platform.awaitFinished(token, jobId, Duration.ofSeconds(240));
        }
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(7)
    void smtpDownLongerThanTheInPlaceRetries() throws Exception {
        String email = user("smtp-down");
        String token = token(email);
        smtpProxy.stop();
        List<String> jobs = List.of(upload(email, TestMedia.path(Sample.WAV_22K)),
                upload(email, TestMedia.path(Sample.MP4_NO_AUDIO)));
        for (String jobId : jobs) {
            platform.awaitFinished(token, jobId, Duration.ofSeconds(60));
        }
        Thread.sleep(15_000); // three times the in-place window: the mails are deferred
        assertThat("nothing can arrive while SMTP is down", Platform.jobMails(email), empty());
        smtpProxy.start();
        Platform.awaitJobMails(email, 2, Duration.ofSeconds(90));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(8)
    void aRollingRestartOfTwoTranscodersAndTwoMailersWithJobsFlowing() throws Exception {
        platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
        String email = user("rollout");
        String token = token(email);
        AtomicBoolean flowing = new AtomicBoolean(true);
        ExecutorService uploader = Executors.newSingleThreadExecutor();
        Future<Integer> uploads = uploader.submit(() -> {
            int n = 0;
            while (flowing.get()) {
                upload(email, TestMedia.path(n % 2 == 0 ? Sample.WAV_22K : Sample.OGG_OPUS_51));
                n++;
                Thread.sleep(500);
            }
            return n;
        });
        try {
            for (String service : List.of("transcoder", "transcoder", "mailer", "mailer")) {
                ServiceProcess old = platform.running(service).getFirst();
                ServiceProcess fresh = "transcoder".equals(service) ? replaceTranscoder()
                        : platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
                assertThat(old.name + " stops on SIGTERM", old.terminate(Duration.ofSeconds(60)), is(143));
                assertThat(fresh.alive(), is(true));
            }
        } finally {
            flowing.set(false);
            uploader.shutdown();
        }
        assertThat("jobs flowed during the rollout", uploads.get(), greaterThan(5));
        for (Map.Entry<String, String> job : OWNERS.entrySet()) {
            if (job.getValue().equals(email)) {
                platform.awaitFinished(token, job.getKey(), Duration.ofSeconds(180));
            }
        }
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(9)
    void fiftyConcurrentUploadsFromFiveUsers() throws Exception {
        List<String> emails = new ArrayList<>();
        for (int u = 0; u < 5; u++) {
            emails.add(user("crowd" + u));
        }
        List<Sample> samples = List.of(Sample.WAV_22K, Sample.AVI_MPEG4_MP3, Sample.WEBM_NAMED_MP4,
                Sample.MP4_TWO_VORBIS_AUDIO_ONLY, Sample.OGG_OPUS_51);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<String>> uploads = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String email = emails.get(i % 5);
                Path sample = TestMedia.path(samples.get(i % samples.size()));
                uploads.add(pool.submit(() -> upload(email, sample)));
            }
            for (Future<String> upload : uploads) {
                String jobId = upload.get();
                platform.awaitFinished(TOKENS.get(OWNERS.get(jobId)), jobId, Duration.ofSeconds(300));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEveryJobEndedOnce(emails);
    }

    @Test
    @Order(10)
    void killMinus9OfAGatewayRightAfterItAnswered202() throws Exception {
        String email = user("kill-gateway-202");
        for (int i = 0; i < 3; i++) {
            upload(email, TestMedia.path(Sample.WAV_22K));
        }
        platform.gateway.kill(); // right behind the third 202: its job may still be in this replica's outbox
        failOver();
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(11)
    void killMinus9OfAGatewayInTheMiddleOfAMultipartUploadAndTheRetryOnTheOther() throws Exception {
        String email = user("kill-gateway-multipart");
        Path file = TestMedia.longWav(Duration.ofMinutes(2));
        String key = "upload-" + LocalServers.unique();
        ServiceProcess victim = platform.gateway;
        long sent = sendSlowly(victim, multipartRequest(token(email), key, file), 0.4, victim::kill);
        assertThat("the gateway died mid-upload", sent, lessThan(Files.size(file)));
        failOver();
        String jobId = uploadWithKey(email, file, key);
        assertThat("one job for the key", db.getCollection("jobs").countDocuments(Filters.eq("owner.email", email)), is(1L));
        assertThat(upload(email, file, key), is(jobId));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(12)
    void killMinus9OfAGatewayInTheMiddleOfATusPatchAndTheClientResumesOnTheOther() throws Exception {
        String email = user("kill-gateway-tus");
        String token = token(email);
        Path file = TestMedia.longWav(Duration.ofMinutes(2));
        byte[] bytes = Files.readAllBytes(file);
        // no transcoder converts (and deletes) the video before its stored bytes are compared with the file
        for (ServiceProcess transcoder : platform.running("transcoder")) {
            assertThat(transcoder.terminate(Duration.ofSeconds(60)), is(143));
        }
        String jobId;
        try {
            HttpResponse<String> created = tus(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(),
                    "Upload-Length", Long.toString(bytes.length), "Upload-Metadata",
                    "filename " + Base64.getEncoder().encodeToString("two minutes.wav".getBytes(StandardCharsets.UTF_8)));
            assertThat(created.body(), created.statusCode(), is(201));
            String location = URI.create(created.headers().firstValue("Location").orElseThrow()).getPath();
            ServiceProcess victim = platform.gateway;
            byte[] head = ("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream"
                    + "\r\nContent-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            sendSlowly(victim, new Request(head, bytes, new byte[0]), 0.5, victim::kill);
            failOver();
            long offset = Long.parseLong(tus(token, "HEAD", location, HttpRequest.BodyPublishers.noBody())
                    .headers().firstValue("Upload-Offset").orElseThrow());
            assertThat("the bytes that reached the dead gateway were kept", offset, both(greaterThan(0L)).and(lessThan((long) bytes.length)));
            Instant deadline = Instant.now().plus(LEASE).plusSeconds(30);
            HttpResponse<String> rest;
            do { // 423 while the dead gateway's lease on the upload runs out
                rest = tus(token, "PATCH", location, HttpRequest.BodyPublishers.ofByteArray(Arrays.copyOfRange(bytes, (int) offset, bytes.length)),
                        "Upload-Offset", Long.toString(offset), "Content-Type", "application/offset+octet-stream");
                Thread.sleep(rest.statusCode() == 423 ? 500 : 0);
            } while (rest.statusCode() == 423 && Instant.now().isBefore(deadline));
            assertThat(rest.body(), rest.statusCode(), is(204));
            String link = tus(token, "HEAD", location, HttpRequest.BodyPublishers.noBody()).headers().firstValue("Link").orElseThrow();
            jobId = link.substring(link.indexOf("/jobs/") + 6, link.indexOf('>'));
            OWNERS.put(jobId, email);
            EXPECTED.put(jobId, "DONE");
            assertThat("the stored video is the file sent, byte for byte", storedVideoSha256(jobId), is(sha256(bytes)));
        } finally {
            replaceTranscoder();
            replaceTranscoder();
        }
        assertEveryJobEndedOnce(List.of(email));
        assertThat(platform.job(token, jobId).at("/mp3/durationSeconds").asDouble(), closeTo(120.0, 0.1));
    }

    @Test
    @Order(13)
    void killMinus9OfAGatewayWhileItsOutboxHoldsUnpublishedJobs() throws Exception {
        String email = user("kill-gateway-outbox");
        List<String> jobs = new ArrayList<>();
        rabbitmqctl("stop_app");
        try {
            for (int i = 0; i < 3; i++) {
                jobs.add(upload(email, TestMedia.path(Sample.WAV_22K)));
            }
            assertThat("the broker is down: the jobs wait in the outbox", db.getCollection("jobs").countDocuments(
                    Filters.and(Filters.in("_id", jobs), Filters.eq("outbox.video.pending", true))), is(3L));
            platform.gateway.kill();
            failOver();
        } finally {
            rabbitmqctl("start_app");
        }
        assertEveryJobEndedOnce(List.of(email));
    }

    /** The platform goes on with the spare gateway replica, and a new spare starts. */
    private static void failOver() throws Exception {
        platform.useGateway(spareGateway);
        spareGateway = platform.launchGateway(Integer.toString(gateways++));
    }

    /** An HTTP request written by hand: head, body, and what follows the body. */
    private record Request(byte[] head, byte[] body, byte[] tail) {
    }

    private static Request multipartRequest(String token, String key, Path file) throws Exception {
        String boundary = "b" + LocalServers.unique();
        byte[] partHead = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + file.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] content = Files.readAllBytes(file);
        byte[] body = new byte[partHead.length + content.length];
        System.arraycopy(partHead, 0, body, 0, partHead.length);
        System.arraycopy(content, 0, body, partHead.length, content.length);
        byte[] head = ("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\nIdempotency-Key: "
                + key + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: "
                + (body.length + tail.length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        return new Request(head, body, tail);
    }

    /**
     * Writes the request to {@code gateway} in 64 KiB pieces, steadily (never long enough to count as a stall), and
     * runs {@code fault} once {@code fraction} of the body is out; the body bytes the socket took before it broke.
     */
    private static long sendSlowly(ServiceProcess gateway, Request request, double fraction, Fault fault) throws Exception {
        long written = 0;
        boolean struck = false;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.head());
            for (int at = 0; at < request.body().length; at += 65536) {
                if (!struck && at >= request.body().length * fraction) {
                    fault.strike();
                    struck = true;
                }
                int length = Math.min(65536, request.body().length - at);
                out.write(request.body(), at, length);
                out.flush();
                written += length;
                Thread.sleep(5);
            }
            out.write(request.tail());
            out.flush();
        } catch (IOException cut) {
            assertThat("the connection broke only after the fault", struck, is(true));
        }
        assertThat(struck, is(true));
        return written;
    }

    @FunctionalInterface
    private interface Fault {
        void strike() throws Exception;
    }

    /** As a careful client: the same upload with the same key until it is accepted (409 while it is held). */
    private static String uploadWithKey(String email, Path file, String key) throws Exception {
        Instant deadline = Instant.now().plus(LEASE).plusSeconds(60);
        while (true) {
            try {
                return upload(email, file, key);
            } catch (AssertionError inProgress) {
                if (!inProgress.getMessage().contains("409") || Instant.now().isAfter(deadline)) {
                    throw inProgress;
                }
                Thread.sleep(1000);
            }
        }
    }

    /** SHA-256 of the bytes GridFS holds as the job's video, chunk by chunk in order. */
    private static String storedVideoSha256(String jobId) throws Exception {
        Object fileId = new org.bson.types.ObjectId(db.getCollection("jobs").find(Filters.eq("_id", jobId)).first().getString("videoFileId"));
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (Document chunk : db.getCollection("videos.chunks").find(Filters.eq("files_id", fileId)).sort(new Document("n", 1))) {
            digest.update(chunk.get("data", org.bson.types.Binary.class).getData());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static HttpResponse<String> tus(String token, String method, String path, HttpRequest.BodyPublisher body,
                                            String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway(path)).method(method, body)
                .header("Tus-Resumable", "1.0.0").header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return Platform.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A new transcoder JVM, ready; the platform keeps two running. */
    private static ServiceProcess replaceTranscoder() throws Exception {
        return platform.launch("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME",
                "transcoder-" + platform.id + "-" + (char) ('a' + transcoders++))).awaitReady(Duration.ofSeconds(90));
    }

    /** The transcoder JVM converting this job now (the worker its last conversion.started named). */
    private static ServiceProcess worker(String jobId) {
        String worker = db.getCollection("jobs").find(Filters.eq("_id", jobId)).first().getString("worker");
        return platform.running("transcoder").stream().filter(p -> p.instanceName.equals(worker)).findFirst()
                .orElseThrow(() -> new AssertionError("no running transcoder is " + worker));
    }

    private static void assertEveryJobEndedOnce(List<String> emails) throws Exception {
        assertEveryJobEndedOnce(emails, false);
    }

    /**
     * Every job of these users ended as its media allows, exactly once: one MP3 when DONE and no video left, one
     * mail, one webhook delivery (or, where a notifier was killed mid-send, the same mail or webhook again under the
     * same id: the one window SMTP and HTTP leave), the gateway told; no upload record or orphan chunk (of a video or
     * an MP3) left. Looks
     * again {@link #LATE_TWINS} after the last expected message arrived, for twins caused by a lease running out.
     */
    private static void assertEveryJobEndedOnce(List<String> emails, boolean resendAllowed) throws Exception {
        List<String> jobIds = OWNERS.entrySet().stream().filter(e -> emails.contains(e.getValue())).map(Map.Entry::getKey).toList();
        for (String jobId : jobIds) {
            platform.awaitFinished(token(OWNERS.get(jobId)), jobId, Duration.ofSeconds(300));
        }
        Instant deadline = Instant.now().plusSeconds(180);
        while (!everyOwnerTold(jobIds) && Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
        }
        Thread.sleep(LATE_TWINS.toMillis());
        List<String> problems = new ArrayList<>();
        for (String email : emails) {
            List<Mail> mails = jobMails(email);
            List<String> ownJobs = jobIds.stream().filter(id -> OWNERS.get(id).equals(email)).toList();
            for (String jobId : ownJobs) {
                problems.addAll(endedOnce(jobId, mails, resendAllowed));
            }
            long told = resendAllowed ? mails.stream().map(Mail::messageId).distinct().count() : mails.size();
            if (told != ownJobs.size()) {
                problems.add(email + " got " + mails.size() + " mails for " + ownJobs.size() + " jobs");
            }
        }
        long receiving = db.getCollection("uploads").countDocuments(Filters.eq("kind", "multipart"));
        if (receiving != 0) {
            problems.add(receiving + " multipart uploads are still recorded as arriving");
        }
        List<BsonValue> chunked = db.getCollection("videos.chunks").distinct("files_id", BsonValue.class).into(new ArrayList<>());
        for (BsonValue fileId : chunked) {
            if (db.getCollection("videos.files").countDocuments(Filters.eq("_id", fileId)) == 0
                    && db.getCollection("uploads").countDocuments(Filters.eq("fileId", fileId.asObjectId().getValue().toHexString())) == 0) {
                problems.add("video chunks of " + fileId + " belong to no file and no upload");
            }
        }
        // MP3s are streamed into GridFS as they are encoded: a killed attempt's chunks must be overwritten by the next
        // attempt, or removed with the job's failure
        for (BsonValue fileId : db.getCollection("mp3s.chunks").distinct("files_id", BsonValue.class).into(new ArrayList<>())) {
            if (db.getCollection("mp3s.files").countDocuments(Filters.eq("_id", fileId)) == 0) {
                problems.add("MP3 chunks of " + fileId + " belong to no file");
            }
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    private static List<String> endedOnce(String jobId, List<Mail> mails, boolean resendAllowed) throws Exception {
        List<String> problems = new ArrayList<>();
        JsonNode job = platform.job(token(OWNERS.get(jobId)), jobId);
        String state = job == null ? "missing" : job.get("state").asText();
        if (!state.equals(EXPECTED.get(jobId))) {
            problems.add(jobId + " ended " + state + ", not " + EXPECTED.get(jobId) + ": " + job);
        }
        List<Mail> own = mails.stream().filter(m -> jobId.equals(m.jobId())).toList();
        long sent = resendAllowed ? own.stream().map(Mail::messageId).distinct().count() : own.size();
        if (sent != 1) {
            problems.add(jobId + " (" + state + ") got " + own.size() + " mails");
        }
        List<WebhookReceiver.Received> delivered = webhooks(jobId);
        long ids = delivered.stream().map(r -> r.header("webhook-id")).distinct().count();
        long accepted = delivered.stream().filter(r -> r.answered() == 200).count();
        if (ids != 1 || accepted == 0 || accepted > 1 && !resendAllowed) {
            problems.add(jobId + " (" + state + ") got " + delivered.size() + " webhook deliveries with " + ids + " ids");
        }
        long mp3s = db.getCollection("mp3s.files").countDocuments(Filters.eq("metadata.jobId", jobId));
        long videos = db.getCollection("videos.files").countDocuments(Filters.eq("metadata.jobId", jobId));
        if (state.equals("DONE") && (mp3s != 1 || videos != 0)) {
            problems.add(jobId + " has " + mp3s + " MP3s and " + videos + " videos left");
        }
        if (state.equals("FAILED") && (mp3s != 0 || videos != 0)) {
            problems.add(jobId + " failed but has " + mp3s + " MP3s and " + videos + " videos left");
        }
        Document stored = db.getCollection("jobs").find(Filters.eq("_id", jobId)).first();
        if (stored != null && stored.get("notifiedAt") == null) {
            problems.add(jobId + " was mailed but the gateway does not know");
        }
        return problems;
    }

    /** Every job has its mail and a webhook its receiver accepted. */
    private static boolean everyOwnerTold(List<String> jobIds) throws Exception {
        for (String jobId : jobIds) {
            if (jobMails(OWNERS.get(jobId)).stream().noneMatch(m -> jobId.equals(m.jobId()))
                    || webhooks(jobId).stream().noneMatch(r -> r.answered() == 200)) {
                return false;
            }
        }
        return true;
    }

    /** The mails about jobs (not the account's own) in the inbox of this address. */
    private static List<Mail> jobMails(String email) throws Exception {
        return Platform.jobMails(email);
    }

    /** The webhook requests the receiver got about this job. */
    private static List<WebhookReceiver.Received> webhooks(String jobId) throws Exception {
        List<WebhookReceiver.Received> about = new ArrayList<>();
        for (WebhookReceiver.Received r : hooks.received) {
            if (jobId.equals(Json.MAPPER.readTree(r.body()).at("/data/jobId").asText())) {
                about.add(r);
            }
        }
        return about;
    }

    /** A new user with a webhook for both outcomes on the test's receiver. */
    private static String user(String label) throws Exception {
        String email = platform.newUser(label);
        HttpResponse<String> created = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/webhooks"))
                .header("Authorization", "Bearer " + token(email)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(
                        Map.of("url", hooks.url(), "events", List.of("job.done", "job.failed"))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.body(), created.statusCode(), is(201));
        return email;
    }

    private static String token(String email) throws Exception {
        synchronized (TOKENS) {
            String token = TOKENS.get(email);
            if (token == null) {
                token = platform.login(email);
                TOKENS.put(email, token);
            }
            return token;
        }
    }

    private static String upload(String email, Path file) throws Exception {
        return upload(email, file, null);
    }

    /** Uploads as a client would, waiting out 503 and 429; with an Idempotency-Key when {@code key} is not null. */
    private static String upload(String email, Path file, String key) throws Exception {
        String token = token(email);
        String boundary = "b" + LocalServers.unique();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file.getFileName()
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway("/upload"));
            if (key != null) {
                request.header("Idempotency-Key", key);
            }
            response = Platform.HTTP.send(request
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                            HttpRequest.BodyPublishers.ofFile(file), HttpRequest.BodyPublishers.ofByteArray(tail)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 503 && response.statusCode() != 429) {
                break;
            }
            Thread.sleep(1000); // storage down, or too many jobs in flight: as a client would, wait and retry
        }
        if (response.statusCode() != 202) {
            throw new AssertionError("upload answered " + response.statusCode() + ": " + response.body());
        }
        String jobId = Json.MAPPER.readTree(response.body()).get("jobId").asText();
        OWNERS.put(jobId, email);
        EXPECTED.put(jobId, file.equals(TestMedia.path(Sample.MP4_NO_AUDIO)) ? "FAILED" : "DONE");
        return jobId;
    }

    /** Waits until attempt {@code attempt} of the job is converting and has made some progress. */
    private static void awaitProgress(String token, String jobId, int attempt) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            JsonNode job = platform.job(token, jobId);
            if (job != null && job.get("state").asText().equals("PROCESSING") && job.get("attempts").asInt() == attempt
                    && job.get("progress").asDouble() > 0.06) {
                return;
            }
            if (job != null && List.of("DONE", "FAILED").contains(job.get("state").asText())) {
                throw new AssertionError("the job ended before attempt " + attempt + " could be interrupted: " + job);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("attempt " + attempt + " of job " + jobId + " never made progress");
    }

    private static void rabbitmqctl(String command) throws Exception {
        Process ctl = new ProcessBuilder(LocalServers.repoRoot().resolve("mp3converter").toString(), "rabbitmqctl", command)
                .redirectErrorStream(true).start();
        String output = new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (ctl.waitFor() != 0) {
            throw new AssertionError("rabbitmqctl " + command + " failed: " + output);
        }
    }
}
