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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.common.testing.TcpProxy;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The platform's worst days, against the four jars with two transcoder JVMs and the backing servers behind TCP
 * proxies that can take an endpoint away. After each fault every accepted upload must end with exactly one MP3
 * and exactly one e-mail (or one failure e-mail), no orphan file and no stuck job.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {
    private static final int MAX_ATTEMPTS = 3;
    private static TcpProxy mongoProxy;
    private static TcpProxy dbProxy;
    private static TcpProxy smtpProxy;
    private static Platform platform;
    private static MongoClient mongo;
    private static MongoDatabase db;
    private static int transcoders = 2;
    private static int mailers = 1;
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
        overrides.put("MAILER_RETRY_IN_DASH_PLACE", "PT5S");
        overrides.put("TRANSCODER_RETRY_MAX_DASH_ATTEMPTS", Integer.toString(MAX_ATTEMPTS));
        platform = Platform.start(overrides, transcoders);
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
        String email = platform.newUser("killer-job");
        String token = token(email);
        String killer = upload(email, TestMedia.longWav(Duration.ofMinutes(10)));
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
        } while (partition(sameFile) != partition(killer));
        assertThat(platform.awaitFinished(token, sameFile, Duration.ofSeconds(120)).get("state").asText(), is("DONE"));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(3)
    void killMinus9OfTheMailerInTheMiddleOfABatch() throws Exception {
        String email = platform.newUser("kill-mailer");
        List<String> jobs = new ArrayList<>();
        smtpProxy.delayConnections(Duration.ofMillis(400)); // a slow mail server: the batch takes seconds
        try {
            for (int i = 0; i < 8; i++) {
                jobs.add(upload(email, TestMedia.path(Sample.WAV_22K)));
            }
            int beforeKill = Platform.awaitMail(email, 2, Duration.ofSeconds(60)).size();
            platform.running("mailer").getFirst().kill();
            assertThat("the kill landed mid-batch", beforeKill, both(greaterThanOrEqualTo(2)).and(lessThan(8)));
            platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
            List<String> arrived = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            Instant deadline = Instant.now().plusSeconds(120);
            while (ids.size() < 8 && Instant.now().isBefore(deadline)) {
                arrived = mails(email).stream().map(Mail::messageId).toList();
                ids = new HashSet<>(arrived);
                Thread.sleep(300);
            }
            Thread.sleep(3000); // a duplicate would arrive right behind
            arrived = mails(email).stream().map(Mail::messageId).toList();
            assertThat("every job's mail arrived", new HashSet<>(arrived).size(), is(8));
            // kill -9 between the SMTP server's reply and the delivery record resends that one mail (same
            // Message-ID) once its claim expires: the one window SMTP leaves; nothing else may come twice
            assertThat("at most the one mail in flight is resent: " + arrived, arrived.size(), lessThanOrEqualTo(9));
        } finally {
            smtpProxy.delayConnections(Duration.ZERO);
        }
        assertEveryJobEndedOnce(List.of(email), true);
    }

    @Test
    @Order(4)
    void theMongoEndpointGoneFor10SecondsWhileJobsConvert() throws Exception {
        String email = platform.newUser("mongo-down");
        String token = token(email);
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(upload(email, TestMedia.longWav(Duration.ofMinutes(3))));
        }
        awaitProgress(token, jobs.getFirst(), 1);
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
    @Order(6)
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
    @Order(7)
    void smtpDownLongerThanTheInPlaceRetries() throws Exception {
        String email = platform.newUser("smtp-down");
        String token = token(email);
        smtpProxy.stop();
        List<String> jobs = List.of(upload(email, TestMedia.path(Sample.WAV_22K)),
                upload(email, TestMedia.path(Sample.MP4_NO_AUDIO)));
        for (String jobId : jobs) {
            platform.awaitFinished(token, jobId, Duration.ofSeconds(60));
        }
        Thread.sleep(15_000); // three times the in-place window: the mails are deferred
        assertThat("nothing can arrive while SMTP is down", Platform.inbox(email), empty());
        smtpProxy.start();
        Platform.awaitMail(email, 2, Duration.ofSeconds(90));
        assertEveryJobEndedOnce(List.of(email));
    }

    @Test
    @Order(8)
    void aRollingRestartOfTwoTranscodersAndTwoMailersWithJobsFlowing() throws Exception {
        platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
        String email = platform.newUser("rollout");
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

    /** The partition of mp3.videos a job goes to (as the gateway picks it). */
    private static int partition(String jobId) {
        return Math.floorMod(jobId.hashCode(), 3);
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
                if (mails.stream().map(Mail::messageId).distinct().count() >= jobIds.size()) {
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
                Document stored = db.getCollection("jobs").find(Filters.eq("_id", jobId)).first();
                if (stored != null && stored.get("notifiedAt") == null) {
                    problems.add(jobId + " was mailed but the gateway does not know");
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
