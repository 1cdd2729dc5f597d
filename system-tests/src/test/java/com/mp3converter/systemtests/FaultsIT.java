package com.mp3converter.systemtests;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.common.testing.TcpProxy;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/**
 * The platform's worst days, against the four jars with two transcoder JVMs and the backing servers
 * behind TCP proxies that can take an endpoint away. After each fault every accepted upload must end
 * with exactly one MP3 and exactly one e-mail (or one failure e-mail), no orphan file and no stuck job.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {
    private static TcpProxy mongoProxy;
    private static TcpProxy dbProxy;
    private static TcpProxy smtpProxy;
    private static Platform platform;
    private static MongoClient mongo;
    private static MongoDatabase db;
    private static final Map<String, String> OWNERS = new ConcurrentHashMap<>();
    private static final Map<String, String> TOKENS = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        URI mongoUri = URI.create(LocalServers.get("MONGO_URI").replace("mongodb://", "http://"));
        mongoProxy = new TcpProxy(mongoUri.getHost(), mongoUri.getPort() < 0 ? 27017 : mongoUri.getPort());
        URI dbUri = URI.create(LocalServers.get("DB_URL").replace("jdbc:mariadb://", "http://"));
        dbProxy = new TcpProxy(dbUri.getHost(), dbUri.getPort());
        smtpProxy = new TcpProxy(LocalServers.get("SMTP_HOST"), Integer.parseInt(LocalServers.get("SMTP_PORT")));
        Map<String, String> overrides = new HashMap<>();
        overrides.put("MONGO_URI", "mongodb://127.0.0.1:" + mongoProxy.port());
        overrides.put("DB_URL", "jdbc:mariadb://127.0.0.1:" + dbProxy.port() + "/{db}");
        overrides.put("SMTP_PORT", Integer.toString(smtpProxy.port()));
        overrides.put("MAILER_RETRY_BACKOFF", "PT0.5S");
        platform = Platform.start(overrides, 2);
        mongo = MongoClients.create(LocalServers.get("MONGO_URI"));
        db = mongo.getDatabase(platform.env.get("MONGO_DATABASE"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            platform.close();
        } finally {
            mongo.close();
            mongoProxy.close();
            dbProxy.close();
            smtpProxy.close();
        }
    }

    @Test
    @Order(1)
    void killMinus9OfTheConvertingTranscoderHandsTheJobToTheOther() throws Exception {
        String email = platform.newUser("kill-transcoder");
        String token = token(email);
        Path longWav = TestMedia.longWav(Duration.ofMinutes(6));
        String jobId = upload(email, longWav);
        JsonNode job = awaitProgress(token, jobId);
        String owner = db.getCollection("jobs").find(Filters.eq("_id", jobId)).first()
                .get("lease", Document.class).getString("owner");
        ServiceProcess victim = platform.running("transcoder").stream()
                .filter(p -> owner.equals(p.instanceName)).findFirst()
                .orElseThrow(() -> new AssertionError("no transcoder holds " + owner));
        victim.kill();
        JsonNode done = platform.awaitFinished(token, jobId, Duration.ofSeconds(180));
        assertThat(done.toString(), done.get("state").asText(), is("DONE"));
        assertThat("taken over after the lease expired", done.get("attempts").asInt(), greaterThanOrEqualTo(2));
        assertThat(job.get("state").asText(), is("PROCESSING"));
        assertEveryJobEndedOnce(List.of(email));
        platform.launch("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME", "transcoder-" + platform.id + "-c"))
                .awaitReady(Duration.ofSeconds(90));
    }

    @Test
    @Order(2)
    void killMinus9OfTheMailerInTheMiddleOfABatch() throws Exception {
        String email = platform.newUser("kill-mailer");
        String token = token(email);
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            jobs.add(upload(email, TestMedia.path(Sample.WAV_22K)));
        }
        Platform.awaitMail(email, 2, Duration.ofSeconds(60));
        platform.running("mailer").getFirst().kill();
        platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
        for (String jobId : jobs) {
            platform.awaitFinished(token, jobId, Duration.ofSeconds(120));
        }
        // kill -9 between the SMTP server's reply and the delivery record resends that one mail with the same
        // Message-ID once the claim expires (the only window SMTP leaves); no other duplicate is allowed
        assertEveryJobEndedOnce(List.of(email), true);
    }

    @Test
    @Order(3)
    void theMongoEndpointGoneFor10Seconds() throws Exception {
        String email = platform.newUser("mongo-down");
        String token = token(email);
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(upload(email, TestMedia.path(Sample.OGG_OPUS_51)));
        }
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
    @Order(4)
    void theDatabaseGoneFor10SecondsRefusesLoginsCleanlyAndIssuedTokensKeepWorking() throws Exception {
        String email = platform.newUser("db-down");
        String token = token(email);
        dbProxy.stop();
        HttpResponse<String> login = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/login"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (email + ":" + Platform.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.body(), login.statusCode(), is(503));
        String jobId = upload(email, TestMedia.path(Sample.AVI_MPEG4_MP3));
        Thread.sleep(10_000);
        dbProxy.start();
        platform.awaitFinished(token, jobId, Duration.ofSeconds(120));
        assertThat(platform.login(email).split("\\.").length, is(3));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(5)
    void rabbitMqRestartedWhileUploadsAndConversionsRun() throws Exception {
        String email = platform.newUser("broker-restart");
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
    @Order(6)
    void smtpDownForAMinute() throws Exception {
        String email = platform.newUser("smtp-down");
        String token = token(email);
        smtpProxy.stop();
        List<String> jobs = List.of(upload(email, TestMedia.path(Sample.WAV_22K)),
                upload(email, TestMedia.path(Sample.MP4_NO_AUDIO)));
        for (String jobId : jobs) {
            platform.awaitFinished(token, jobId, Duration.ofSeconds(60));
        }
        Thread.sleep(60_000);
        assertThat("nothing can arrive while SMTP is down", Platform.inbox(email), empty());
        smtpProxy.start();
        Platform.awaitMail(email, 2, Duration.ofSeconds(90));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(7)
    void fiftyConcurrentUploadsFromFiveUsers() throws Exception {
        List<String> emails = new ArrayList<>();
        for (int u = 0; u < 5; u++) {
            emails.add(platform.newUser("crowd" + u));
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

    private static void assertEveryJobEndedOnce(List<String> emails) throws Exception {
        assertEveryJobEndedOnce(emails, false);
    }

    /**
     * Every job of these users: terminal, one MP3 when DONE, no video left, exactly one mail — or, where a
     * same-Message-ID resend is allowed, one distinct mail.
     */
    private static void assertEveryJobEndedOnce(List<String> emails, boolean sameIdResendAllowed) throws Exception {
        List<String> problems = new ArrayList<>();
        for (String email : emails) {
            List<String> jobIds = OWNERS.entrySet().stream().filter(e -> e.getValue().equals(email)).map(Map.Entry::getKey).toList();
            Instant deadline = Instant.now().plusSeconds(180);
            List<Mail> mails = new ArrayList<>();
            while (Instant.now().isBefore(deadline)) {
                mails = mails(email);
                if (mails.size() >= jobIds.size()) {
                    break;
                }
                Thread.sleep(500);
            }
            Thread.sleep(1500); // a duplicate would arrive right behind
            mails = mails(email);
            for (String jobId : jobIds) {
                JsonNode job = platform.job(TOKENS.get(email), jobId);
                String state = job == null ? "missing" : job.get("state").asText();
                long sent = sameIdResendAllowed
                        ? mails.stream().filter(m -> jobId.equals(m.jobId())).map(Mail::messageId).distinct().count()
                        : mails.stream().filter(m -> jobId.equals(m.jobId())).count();
                long mp3s = db.getCollection("mp3s.files").countDocuments(Filters.eq("metadata.jobId", jobId));
                long videos = db.getCollection("videos.files").countDocuments(Filters.eq("metadata.jobId", jobId));
                if (!state.equals("DONE") && !state.equals("FAILED")) {
                    problems.add(jobId + " is stuck in " + state);
                }
                if (sent != 1) {
                    problems.add(jobId + " (" + state + ") got " + sent + " mails");
                }
                if (state.equals("DONE") && (mp3s != 1 || videos != 0)) {
                    problems.add(jobId + " has " + mp3s + " MP3s and " + videos + " videos left");
                }
                if (state.equals("FAILED") && mp3s != 0) {
                    problems.add(jobId + " failed but has " + mp3s + " MP3s");
                }
            }
            long distinct = mails.stream().map(Mail::messageId).distinct().count();
            if ((sameIdResendAllowed ? distinct : mails.size()) != jobIds.size()) {
                problems.add(email + " got " + mails.size() + " mails for " + jobIds.size() + " jobs");
            }
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    private static List<Mail> mails(String email) throws Exception {
        List<Mail> mails = new ArrayList<>();
        for (JsonNode m : Platform.inbox(email)) {
            mails.add(Mail.parse(m));
        }
        return mails;
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
        String token = token(email);
        String boundary = "b" + LocalServers.unique();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file.getFileName()
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            response = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                            HttpRequest.BodyPublishers.ofFile(file), HttpRequest.BodyPublishers.ofByteArray(tail)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 503) {
                break;
            }
            Thread.sleep(1000);
        }
        if (response.statusCode() != 202) {
            throw new AssertionError("upload answered " + response.statusCode() + ": " + response.body());
        }
        String jobId = Json.MAPPER.readTree(response.body()).get("jobId").asText();
        OWNERS.put(jobId, email);
        return jobId;
    }

    private static JsonNode awaitProgress(String token, String jobId) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            JsonNode job = platform.job(token, jobId);
            if (job != null && job.get("state").asText().equals("PROCESSING") && job.get("progress").asDouble() > 0.05) {
                return job;
            }
            if (job != null && job.get("state").asText().equals("DONE")) {
                throw new AssertionError("the conversion finished before it could be interrupted");
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + jobId + " never made progress");
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
