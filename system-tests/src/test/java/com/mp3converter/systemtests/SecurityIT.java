package com.mp3converter.systemtests;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mp3converter.auth.SigningKeys;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.ConversionHandler;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.mp3converter.systemtests.Multipart.body;
import static com.mp3converter.systemtests.Multipart.field;
import static com.mp3converter.systemtests.Multipart.filePart;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/**
 * The probes of an attacker with an ordinary account, against the four jars: each one held before it was fixed
 * would fail here. Connection limits are short (3 s) so the stalled-client probes run quickly.
 */
class SecurityIT {
    private static final Duration STALL_LIMIT = Duration.ofSeconds(3);
    private static final long QUOTA = 3_000_000;
    private static final int EVENT_STREAMS = 3;
    private static final int DOWNLOADS = 2;
    private static final int TRANSFERS = 3;
    private static final Duration MAX_SOUND = Duration.ofMinutes(15);
    private static Platform platform;
    private static WebhookReceiver hooks;
    private static MongoClient mongo;
    private static MongoDatabase db;

    @BeforeAll
    static void start() throws Exception {
        hooks = WebhookReceiver.start(0);
        Map<String, String> overrides = new HashMap<>();
        overrides.put("CONNECTIONS_IDLE_DASH_TIMEOUT", STALL_LIMIT.toString());
        overrides.put("CONNECTIONS_BODY_DASH_STALL_DASH_TIMEOUT", STALL_LIMIT.toString());
        overrides.put("AUTH_JWKS_MIN_DASH_REFETCH", "PT1S");
        overrides.put("AUTH_JWKS_MAX_DASH_AGE", "PT3S");
        overrides.put("GATEWAY_QUOTA_MAX_DASH_BYTES_DASH_STORED", Long.toString(QUOTA));
        overrides.put("GATEWAY_EVENTS_MAX_DASH_PER_DASH_USER", Integer.toString(EVENT_STREAMS));
        overrides.put("GATEWAY_EVENTS_KEEP_DASH_ALIVE", "PT2S");
        overrides.put("GATEWAY_DOWNLOADS_MAX_DASH_PER_DASH_USER", Integer.toString(DOWNLOADS));
        overrides.put("GATEWAY_TRANSFERS_MAX_DASH_AT_DASH_ONCE", Integer.toString(TRANSFERS));
        overrides.put("GATEWAY_TRANSFERS_WAIT", "PT1S");
        // the webhook receiver's endpoint only: any other loopback port stays out of reach
        overrides.put("WEBHOOKS_ALLOW", hooks.endpoint());
        overrides.put("WEBHOOKS_TIMEOUT", "PT3S");
        overrides.put("WEBHOOKS_CONNECT_DASH_TIMEOUT", "PT1S");
        overrides.put("WEBHOOKS_LEASE", "PT6S");
        overrides.put("WEBHOOKS_RETRY_DASH_SCHEDULE", "PT1S");
        overrides.put("TRANSCODER_MAX_DASH_DURATION", MAX_SOUND.toString());
        platform = Platform.start(overrides);
        mongo = MongoClients.create(LocalServers.get("MONGO_URI"));
        db = mongo.getDatabase(platform.env.get("MONGO_DATABASE"));
    }

    @AfterAll
    static void stop() throws Exception {
        mongo.close();
        hooks.stop();
        platform.close();
    }

    // --- 1. request smuggling -----------------------------------------------------------------------------

    @Test
    void aBodyLeftUnreadIsNeverTakenForASecondRequestOnAnyService() throws Exception {
        String token = platform.login(platform.newUser("smuggler"));
        String hidden = "GET /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
        List<String> failures = new ArrayList<>();
        for (ServiceProcess service : platform.processes()) {
            for (String connection : List.of("close", "CLOSE", "keep-alive, close")) {
                probeSmuggling(service, "GET /health/live", connection, hidden, failures);
            }
        }
        probeSmuggling(platform.gateway, "POST /upload", "close", hidden, failures); // 401: the upload is not read
        probeSmuggling(platform.gateway, "POST /login", "close", hidden, failures);
        probeSmuggling(platform.auth, "POST /login", "close", hidden, failures);
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    private static void probeSmuggling(ServiceProcess service, String requestLine, String connection, String hidden,
                                       List<String> failures) throws IOException {
        String request = requestLine + " HTTP/1.1\r\nHost: x\r\nConnection: " + connection
                + "\r\nContent-Length: " + hidden.length() + "\r\n\r\n" + hidden;
        RawHttp.Exchange exchange = RawHttp.exchange(service.port, request, Duration.ofSeconds(5));
        if (exchange.statuses().size() != 1 || !exchange.closedByServer()) {
            failures.add(service.name + " " + requestLine + " (Connection: " + connection + "): " + exchange.statuses()
                    + " responses, closed " + exchange.closedByServer());
        }
    }

    // --- 2 and 3. lockout and spoofed addresses -----------------------------------------------------------

    @Test
    void guessingFromOneAddressIsThrottledWhateverItSaysInXForwardedForAndTheOwnerStillLogsIn() throws Exception {
        String victim = platform.newUser("victim");
        InetAddress attacker = InetAddress.getByName("127.0.0.66");
        List<Integer> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // each guess claims another address, one of them the owner's
            answers.add(login(attacker, platform.gateway.port, victim, "wrong guess " + i,
                    i == 3 ? "127.0.0.7" : "198.51.100." + i).statusCode());
        }
        assertThat("the sixth guess from one address waits, whatever X-Forwarded-For said", answers.subList(5, 8),
                everyItem(is(429)));
        assertThat(login(InetAddress.getByName("127.0.0.7"), platform.gateway.port, victim, Platform.PASSWORD, null)
                .statusCode(), is(200));

        List<Integer> sprayed = new ArrayList<>();
        for (int i = 0; i < 22; i++) { // one guess per account, another claimed address each time
            sprayed.add(login(attacker, platform.gateway.port, "nobody-" + i + "@example.com", "wrong guess",
                    "203.0.113." + i).statusCode());
        }
        assertThat("an address that guesses across accounts waits too", sprayed.getLast(), is(429));
    }

    @Test
    void guessingAnAccountFromManyAddressesAtAuthNeverLocksItsOwnerOut() throws Exception {
        String victim = platform.newUser("many-addresses");
        // auth trusts one proxy (the gateway); an attacker reaching it directly may claim any address
        for (int i = 0; i < 30; i++) {
            login(InetAddress.getLoopbackAddress(), platform.auth.port, victim, "wrong guess " + i, "192.0.2." + i);
        }
        assertThat("a client that failed on the attacked account waits",
                login(InetAddress.getLoopbackAddress(), platform.auth.port, victim, Platform.PASSWORD, "192.0.2.1")
                        .statusCode(), is(429));
        assertThat("its owner, from an address with no failure, logs in at once",
                login(InetAddress.getLoopbackAddress(), platform.auth.port, victim, Platform.PASSWORD, "192.0.2.200")
                        .statusCode(), is(200));
        assertThat("and through the gateway",
                login(InetAddress.getByName("127.0.0.8"), platform.gateway.port, victim, Platform.PASSWORD, null)
                        .statusCode(), is(200));
    }

    private static HttpResponse<String> login(InetAddress from, int port, String email, String password,
                                              String forwardedFor) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/login"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (email + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (forwardedFor != null) {
            request.header("X-Forwarded-For", forwardedFor);
        }
        try (HttpClient client = HttpClient.newBuilder().localAddress(from).build()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    // --- 4. disabled accounts -----------------------------------------------------------------------------

    @Test
    void aDisabledUsersTokensAreRefusedEverywhereWithinSeconds() throws Exception {
        String email = platform.newUser("disabled");
        String token = platform.login(email);
        assertThat(get(platform.gateway, "/jobs", token).statusCode(), is(200));
        String userId = Json.MAPPER.readTree(get(platform.auth, "/users/me", token).body()).get("id").asText();
        String admin = adminToken();
        HttpResponse<String> disabled = Platform.HTTP.send(HttpRequest.newBuilder(platform.auth.uri("/users/" + userId))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"disabled\":true}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(disabled.body(), disabled.statusCode(), is(200));
        Instant at = Instant.now();
        assertThat("auth refuses it at once", validate(token), is(401));
        while (get(platform.gateway, "/jobs", token).statusCode() != 401) {
            assertThat("the gateway refuses it within 5 s", Duration.between(at, Instant.now()), lessThan(Duration.ofSeconds(5)));
            Thread.sleep(100);
        }
        HttpResponse<String> upload = upload(token, "clip.wav", Files.readAllBytes(TestMedia.path(Sample.WAV_22K)));
        assertThat(upload.statusCode(), is(401));
        assertThat(upload.body(), containsString("revoked"));
        assertThat("the account cannot log in either", loginStatus(email), is(401));
    }

    // --- 5. FFmpeg's reach --------------------------------------------------------------------------------

    @Test
    void aManifestDisguisedAsMediaConvertsNothingAndTellsNothingAboutTheServersFiles() throws Exception {
        String token = platform.login(platform.newUser("manifest"));
        Path existing = TestMedia.path(Sample.M4A_AAC_AUDIO_ONLY).toAbsolutePath();
        Path missing = existing.resolveSibling("no-such-file-" + UUID.randomUUID() + ".m4a");
        List<JsonNode> errors = new ArrayList<>();
        for (Path target : List.of(existing, missing)) {
            for (String manifest : List.of(dash(target), "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:" + target
                    + "\n#EXT-X-ENDLIST\n", "ffconcat version 1.0\nfile '" + target + "'\n")) {
                byte[] disguised = concat(new byte[] {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0},
                        manifest.getBytes(StandardCharsets.UTF_8));
                HttpResponse<String> accepted = upload(token, "song.mp3", disguised);
                if (accepted.statusCode() == 202) {
                    String jobId = Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
                    JsonNode job = platform.awaitFinished(token, jobId, Duration.ofSeconds(60));
                    assertThat(job.toString(), job.get("state").asText(), is("FAILED"));
                    errors.add(job.get("error"));
                } else {
                    assertThat(accepted.body(), accepted.statusCode(), is(415));
                }
            }
        }
        Set<String> distinct = new HashSet<>();
        errors.forEach(e -> distinct.add(e.toString()));
        assertThat("one answer for every manifest, whether its target exists or not: " + distinct, distinct.size(),
                lessThan(2));
        for (String error : distinct) {
            assertThat(error, not(containsString("/")));
        }
    }

    private static String dash(Path target) {
        return "<?xml version=\"1.0\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
                + "profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\" type=\"static\" mediaPresentationDuration=\"PT1S\" "
                + "minBufferTime=\"PT1S\"><Period><AdaptationSet mimeType=\"audio/mp4\"><Representation id=\"1\" "
                + "bandwidth=\"1\" audioSamplingRate=\"44100\"><BaseURL>file:" + target + "</BaseURL></Representation>"
                + "</AdaptationSet></Period></MPD>";
    }

    // --- 6. unbounded waits -------------------------------------------------------------------------------

    @Test
    void halfSentHeadersAreCutOffOnEveryService() throws Exception {
        List<String> failures = new ArrayList<>();
        for (ServiceProcess service : platform.processes()) {
            RawHttp.Exchange exchange = RawHttp.exchange(service.port, "GET /health/live HTTP/1.1\r\nHost: x\r\n",
                    Duration.ofSeconds(20));
            if (!exchange.closedByServer() || exchange.took().compareTo(STALL_LIMIT.plusSeconds(5)) > 0) {
                failures.add(service.name + ": closed " + exchange.closedByServer() + " after " + exchange.took());
            }
        }
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    @Test
    void aStalledChunkedUploadIsAbandonedAndLeavesNothing() throws Exception {
        String token = platform.login(platform.newUser("stalled"));
        String userId = userId(token);
        String boundary = "stall" + UUID.randomUUID();
        byte[] head = body(boundary, filePart("stalled.wav", Files.readAllBytes(TestMedia.path(Sample.WAV_22K))));
        byte[] firstHalf = java.util.Arrays.copyOf(head, head.length / 2);
        long started = System.nanoTime();
        RawHttp.Exchange exchange;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), platform.gateway.port));
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: multipart/form-data; boundary=" + boundary
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(firstHalf.length) + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(firstHalf);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush(); // and then nothing
            exchange = RawHttp.readUntilClosed(socket.getInputStream(), started);
        }
        assertThat("the gateway let go of the stalled upload", exchange.closedByServer(), is(true));
        assertThat(exchange.took(), lessThan(STALL_LIMIT.plusSeconds(5)));
        Thread.sleep(500);
        assertThat("no file of the stalled upload", db.getCollection("videos.files")
                .countDocuments(Filters.eq("metadata.owner", userId)), is(0L));
        awaitNoOrphanChunks();
        assertThat("no job", db.getCollection("jobs").countDocuments(Filters.eq("owner.userId", userId)), is(0L));
    }

    @Test
    void theQuotaCountsTheBytesReceivedNotTheBytesDeclared() throws Exception {
        String token = platform.login(platform.newUser("quota"));
        byte[] wav = Files.readAllBytes(TestMedia.longWav(Duration.ofSeconds(20))); // 3.5 MB, over the 3 MB quota
        String boundary = "quota" + UUID.randomUUID();
        byte[] multipart = body(boundary, filePart("long.wav", wav));
        StringBuilder request = new StringBuilder("POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + "Authorization: Bearer " + token + "\r\nContent-Type: multipart/form-data; boundary=" + boundary
                + "\r\nTransfer-Encoding: chunked\r\n\r\n");
        byte[] chunked = concat(request.toString().getBytes(StandardCharsets.ISO_8859_1),
                chunks(multipart, 65536));
        RawHttp.Exchange exchange = RawHttp.exchange(InetAddress.getLoopbackAddress(), platform.gateway.port, chunked,
                Duration.ofSeconds(30));
        assertThat(exchange.text(), exchange.statuses(), is(List.of(413)));
        assertThat(exchange.text(), containsString("quota"));
        assertThat(db.getCollection("videos.files").countDocuments(Filters.eq("metadata.owner", userId(token))), is(0L));
        awaitNoOrphanChunks();
        assertThat("a file within the quota still goes in",
                upload(token, "short.wav", Files.readAllBytes(TestMedia.path(Sample.WAV_22K))).statusCode(), is(202));
    }

    @Test
    void aUserCanFollowOnlySoManyJobsAtOnce() throws Exception {
        String token = platform.login(platform.newUser("follower"));
        ServiceProcess transcoder = platform.running("transcoder").getFirst();
        transcoder.kill(); // the job stays queued: its event stream stays open
        try {
            HttpResponse<String> accepted = upload(token, "queued.wav", Files.readAllBytes(TestMedia.path(Sample.WAV_22K)));
            String jobId = Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
            List<Socket> streams = new ArrayList<>();
            try {
                for (int i = 0; i < EVENT_STREAMS; i++) {
                    streams.add(openEvents(token, jobId));
                }
                HttpResponse<String> refused = get(platform.gateway, "/jobs/" + jobId + "/events", token);
                assertThat(refused.body(), refused.statusCode(), is(429));
                streams.removeFirst().close();
                Instant deadline = Instant.now().plusSeconds(10);
                HttpResponse<java.io.InputStream> again;
                do { // the gateway notices the closed stream at its next write (a keep-alive, every 2 s here)
                    Thread.sleep(200);
                    again = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs/" + jobId + "/events"))
                            .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
                    again.body().close();
                } while (again.statusCode() == 429 && Instant.now().isBefore(deadline));
                assertThat("a closed stream frees its slot within 10 s", again.statusCode(), is(200));
            } finally {
                for (Socket s : streams) {
                    s.close();
                }
            }
        } finally {
            platform.launch("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME", "transcoder-" + platform.id + "-z"))
                    .awaitReady(Duration.ofSeconds(90));
        }
    }

    private static Socket openEvents(String token, String jobId) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), platform.gateway.port);
        socket.getOutputStream().write(("GET /jobs/" + jobId + "/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + token + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        socket.setSoTimeout(5000);
        byte[] head = new byte[12];
        int n = socket.getInputStream().readNBytes(head, 0, head.length);
        assertThat(new String(head, 0, n, StandardCharsets.ISO_8859_1), is("HTTP/1.1 200"));
        return socket;
    }

    // --- round 3, finding 3: bounded work -------------------------------------------------------------------

    /**
     * A FLAC of silence is a few hundred bytes per second of sound: the size limit and quota bound the upload, not the
     * work. Sound past transcoder.max-duration fails before encoding, in words (and when the file hides its length,
     * as soon as decoding reaches the limit), leaving no MP3; and an MP3 being made counts against the quota from the
     * moment its conversion starts, not only once it is stored.
     */
    @Test
    void aSmallUploadCommandsNoMoreSoundThanTheLimitAndItsMp3CountsAgainstTheQuotaWhileItIsMade() throws Exception {
        String token = platform.login(platform.newUser("silence"));
        for (boolean lengthKnown : List.of(true, false)) {
            byte[] flac = Files.readAllBytes(TestMedia.silentFlac(MAX_SOUND.plusMinutes(5), lengthKnown));
            String jobId = jobId(upload(token, "silence.flac", flac));
            JsonNode failed = platform.awaitFinished(token, jobId, Duration.ofMinutes(3));
            assertThat(flac.length + " bytes, length " + (lengthKnown ? "told" : "hidden") + ": " + failed,
                    failed.get("state").asText(), is("FAILED"));
            assertThat(failed.at("/error/code").asText(), is("too-long"));
            assertThat(failed.at("/error/message").asText(), containsString("a job may convert at most 15:00.000"));
            assertThat("no chunk of the MP3 it began", db.getCollection("mp3s.chunks").countDocuments(
                    Filters.eq("files_id", ConversionHandler.mp3Id(jobId))), is(0L));
        }
        String converting = jobId(upload(token, "ten-minutes.flac",
                Files.readAllBytes(TestMedia.silentFlac(Duration.ofMinutes(10), true)))); // 14 MB of MP3 at 192 kb/s
        Instant deadline = Instant.now().plusSeconds(60);
        JsonNode job = platform.job(token, converting);
        while (!job.get("state").asText().equals("PROCESSING") && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            job = platform.job(token, converting);
        }
        assertThat(job.toString(), job.get("state").asText(), is("PROCESSING"));
        HttpResponse<String> refused = upload(token, "short.wav", Files.readAllBytes(TestMedia.path(Sample.WAV_22K)));
        assertThat("the MP3 being made already fills the 3 MB quota: " + refused.body(), refused.statusCode(), is(413));
        assertThat(refused.body(), containsString("quota-exceeded"));
    }

    private static String jobId(HttpResponse<String> accepted) throws Exception {
        assertThat(accepted.body(), accepted.statusCode(), is(202));
        return Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
    }

    // --- 7. smaller ---------------------------------------------------------------------------------------

    @Test
    void twoAuthorizationHeadersAreRefusedNotGuessedBetween() throws Exception {
        String token = platform.login(platform.newUser("two-headers"));
        String basic = Base64.getEncoder().encodeToString("someone@example.com:whatever it is".getBytes());
        for (ServiceProcess service : List.of(platform.gateway, platform.auth)) {
            String path = service == platform.gateway ? "GET /jobs" : "POST /login";
            RawHttp.Exchange exchange = RawHttp.exchange(service.port, path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    + "Authorization: Bearer " + token + "\r\nAuthorization: Basic " + basic + "\r\n\r\n", Duration.ofSeconds(5));
            assertThat(service.name + ": " + exchange.text(), exchange.statuses(), is(List.of(400)));
            assertThat(exchange.text(), containsString("Authorization header once"));
        }
    }

    @Test
    void aQuotedSemicolonStaysInsideTheFileName() throws Exception {
        String token = platform.login(platform.newUser("quoted"));
        String boundary = "q" + UUID.randomUUID();
        byte[] wav = Files.readAllBytes(TestMedia.path(Sample.WAV_22K));
        byte[] part = concat(("Content-Disposition: form-data; name=\"file\"; filename=\"take 1; name=\\\"bitrate\\\".wav\""
                + "\r\nContent-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.UTF_8), wav);
        HttpResponse<String> accepted = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(boundary, part))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.body(), accepted.statusCode(), is(202));
        String jobId = Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
        assertThat(platform.job(token, jobId).get("sourceName").asText(), containsString("take 1; name="));
    }

    @Test
    void badEscapesAreAnsweredInOurWordsNotTheJdks() throws Exception {
        String token = platform.login(platform.newUser("escapes"));
        List<String> failures = new ArrayList<>();
        for (String path : List.of("/jobs?limit=%zz", "/jobs?offset=%", "/download?fid=%G1", "/jobs/%zz")) {
            RawHttp.Exchange exchange = RawHttp.exchange(platform.gateway.port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\nAuthorization: Bearer " + token + "\r\n\r\n", Duration.ofSeconds(5));
            String text = exchange.text();
            if (exchange.statuses().isEmpty() || exchange.statuses().getFirst() != 400
                    || text.contains("URLDecoder") || text.contains("escape (%)") || text.contains("Exception")) {
                failures.add(path + ": " + text);
            }
        }
        String boundary = "e" + UUID.randomUUID();
        byte[] part = concat(("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%zz%.wav\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(TestMedia.path(Sample.WAV_22K)));
        HttpResponse<String> upload = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(boundary, part))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (upload.statusCode() != 202 || upload.body().contains("URLDecoder") || upload.body().contains("escape (%)")) {
            failures.add("a file name with a bad escape: " + upload.statusCode() + " " + upload.body());
        }
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    // --- 8. forged tokens and key rotation ----------------------------------------------------------------

    @Test
    void hs256SignedWithAnyFormOfThePublicKeyIsRefused() throws Exception {
        String email = platform.newUser("hs256");
        String genuine = platform.login(email);
        SigningKeys keys = SigningKeys.load(platform.dir.resolve("keys"));
        ECPublicKey publicKey = (ECPublicKey) keys.current().publicKey();
        byte[] der = publicKey.getEncoded();
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END PUBLIC KEY-----\n";
        String x = ((List<?>) keys.jwks().get("keys")).stream().map(k -> (Map<?, ?>) k)
                .filter(k -> keys.currentKid().equals(k.get("kid"))).map(k -> (String) k.get("x")).findFirst().orElseThrow();
        Map<String, byte[]> forms = Map.of("PEM", pem.getBytes(StandardCharsets.US_ASCII), "DER", der,
                "raw x", Base64.getUrlDecoder().decode(x), "x as text", x.getBytes(StandardCharsets.US_ASCII),
                "JWKS", Json.MAPPER.writeValueAsBytes(keys.jwks()));
        String payload = genuine.split("\\.")[1];
        String header = b64url("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + keys.currentKid() + "\"}");
        List<String> failures = new ArrayList<>();
        for (var form : forms.entrySet()) {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(form.getValue(), "HmacSHA256"));
            String forged = header + "." + payload + "." + Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
            int atGateway = get(platform.gateway, "/jobs", forged).statusCode();
            int atAuth = validate(forged);
            if (atGateway != 401 || atAuth != 401) {
                failures.add(form.getKey() + ": gateway " + atGateway + ", auth " + atAuth);
            }
        }
        assertThat(get(platform.gateway, "/jobs", genuine).statusCode(), is(200));
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    @Test
    void aTokenOfTheOldKeyWorksAfterARotationAndStopsOnceTheKeyIsRetired() throws Exception {
        String email = platform.newUser("rotation");
        String old = platform.login(email);
        Path keyDir = platform.dir.resolve("keys");
        Set<Path> oldKeys = Set.copyOf(listKeys(keyDir));
        Thread.sleep(1100); // the new key must be strictly newer
        SigningKeys.generate(keyDir);
        restartAuth();
        String fresh = platform.login(email);
        assertThat(kid(fresh), not(is(kid(old))));
        assertThat("the new key's token at the gateway", get(platform.gateway, "/jobs", fresh).statusCode(), is(200));
        assertThat("the old key's token at the gateway", get(platform.gateway, "/jobs", old).statusCode(), is(200));
        assertThat("the old key's token at auth", validate(old), is(200));

        for (Path retired : oldKeys) {
            Files.delete(retired);
        }
        restartAuth();
        assertThat("auth refuses the retired key at once", validate(old), is(401));
        Instant deadline = Instant.now().plusSeconds(15);
        while (get(platform.gateway, "/jobs", old).statusCode() != 401) {
            assertThat("the gateway drops the retired key once its copy of the keys is older than max-age",
                    Instant.now().isBefore(deadline), is(true));
            Thread.sleep(250);
        }
        assertThat(get(platform.gateway, "/jobs", fresh).statusCode(), is(200));
    }

    private static List<Path> listKeys(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jwk.json")).toList();
        }
    }

    /** A new auth process on the same port (the gateway keeps its address), reading the keys again. */
    private static void restartAuth() throws Exception {
        int port = platform.auth.port;
        platform.auth.terminate(Duration.ofSeconds(20));
        platform.auth = platform.launch("auth", Map.of("SERVER_PORT", Integer.toString(port)));
        platform.auth.awaitReady(Duration.ofSeconds(90));
    }

    // --- 9. bounded metric labels and stalled JSON bodies (#27 findings 2 and 8) --------------------------------

    @Test
    void madeUpMethodsAndHealthPathsAddNoMetricLabelOnAnyService() throws Exception {
        List<String> failures = new ArrayList<>();
        for (ServiceProcess service : platform.processes()) {
            String probe = "probe" + UUID.randomUUID().toString().substring(0, 8);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) { // each a label of its own if labels come from the request
                sent.add(probe.toUpperCase(java.util.Locale.ROOT) + i);
                sent.add("/health/" + probe + i);
                RawHttp.exchange(service.port, probe.toUpperCase(java.util.Locale.ROOT) + i + " /jobs HTTP/1.1\r\nHost: x\r\n"
                        + "Connection: close\r\n\r\n", Duration.ofSeconds(5));
                RawHttp.exchange(service.port, "GET /health/" + probe + i + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        Duration.ofSeconds(5));
            }
            String metrics = Platform.HTTP.send(HttpRequest.newBuilder(service.uri("/metrics")).header("Accept", "text/plain")
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(service.name + " serves its metrics", metrics, containsString("http_server_request_duration_seconds"));
            for (String label : sent) {
                if (metrics.contains(label)) {
                    failures.add(service.name + ": a metric is labelled '" + label + "'");
                }
            }
        }
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    @Test
    void aJsonBodyThatStopsIsCutOffLikeAnUpload() throws Exception {
        ServiceProcess mailer = platform.processes().stream().filter(p -> p.name.startsWith("mailer")).findFirst()
                .orElseThrow();
        List<String> failures = new ArrayList<>();
        for (var target : List.of(Map.entry(platform.auth, "POST /users HTTP/1.1\r\n"),
                Map.entry(mailer, "POST /webhooks HTTP/1.1\r\nX-Mp3converter-User: stalled-json\r\n"
                        + "X-Mp3converter-Internal: " + platform.env.get("INTERNAL_TOKEN") + "\r\n"))) { // as the gateway calls
            long started = System.nanoTime();
            RawHttp.Exchange exchange;
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), target.getKey().port)) {
                socket.setSoTimeout(20_000);
                socket.getOutputStream().write((target.getValue() + "Host: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{\"email\":").getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush(); // and then nothing
                exchange = RawHttp.readUntilClosed(socket.getInputStream(), started);
            }
            if (!exchange.statuses().isEmpty() || !exchange.closedByServer()
                    || exchange.took().compareTo(STALL_LIMIT.plusSeconds(5)) > 0) { // cut off while reading, no answer
                failures.add(target.getKey().name + " " + target.getValue().lines().findFirst().orElse("") + ": closed " + exchange.closedByServer()
                        + " after " + exchange.took() + " " + exchange.statuses());
            }
        }
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    // --- the local stack listens on loopback only ---------------------------------------------------------

    @Test
    void everyServiceAndServerOfTheLocalStackListensOnLoopbackOnly() throws Exception {
        Map<Long, ListeningSockets.Listener> listening = ListeningSockets.byInode();
        List<String> failures = new ArrayList<>();
        Set<String> found = new HashSet<>();
        for (ServiceProcess service : platform.processes()) {
            if (!service.alive()) {
                continue;
            }
            for (long inode : ListeningSockets.socketInodesOf(service.process().pid())) {
                ListeningSockets.Listener listener = listening.get(inode);
                if (listener != null) {
                    found.add(service.name + "@" + service.port);
                    if (!listener.loopback()) {
                        failures.add(service.name + " listens on " + listener);
                    }
                }
            }
        }
        Set<Integer> stack = ListeningSockets.stackPorts();
        for (ListeningSockets.Listener listener : listening.values()) {
            if (stack.contains(listener.port())) {
                found.add("stack@" + listener.port());
                if (!listener.loopback()) {
                    failures.add("port " + listener.port() + " of the local stack listens on " + listener);
                }
            }
        }
        assertThat("a listener for every running service and every server of the stack: " + found, found.size(),
                is(platform.processes().stream().filter(ServiceProcess::alive).toList().size() + stack.size()));
        assertThat(String.join("\n", failures), failures, is(empty()));
    }

    // --- round 3: webhooks, limits that hold under concurrency, tus retries, caching, sign-ups ----------------

    /** Finding 1: a receiver that sends its headers and goes quiet holds a delivery slot only until the deadline. */
    @Test
    void aWebhookReceiverThatGoesQuietAfterItsHeadersHoldsNoSlot() throws Exception {
        String token = platform.login(platform.newUser("quiet-receiver"));
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            endpoints.add(webhook(token, hooks.url() + "/" + i).get("id").asText());
        }
        hooks.quietAfterHeaders(Duration.ofMinutes(5));
        try {
            for (int i = 0; i < 5; i++) { // more than the notifier sends at once
                assertThat(post(token, "/webhooks/" + endpoints.get(i) + "/ping", "").statusCode(), is(202));
            }
            Thread.sleep(5000); // every slot now holds a quiet receiver
        } finally {
            hooks.quietAfterHeaders(Duration.ZERO);
        }
        assertThat(post(token, "/webhooks/" + endpoints.get(5) + "/ping", "").statusCode(), is(202));
        hooks.await(r -> r.answered() == 200 && r.body().contains(endpoints.get(5)), Duration.ofSeconds(20));
        JsonNode stalled = getJson(token, "/webhooks/" + endpoints.getFirst() + "/deliveries").at("/items/0");
        assertThat("the quiet answer is logged as not complete in time", stalled.at("/attempts/0/error").asText(),
                containsString("no complete answer within 3 s"));
    }

    /** Finding 4: downloads a user holds open (stalled) are capped like event streams. */
    @Test
    void aUserCanHoldOnlySoManyDownloadsOpen() throws Exception {
        String token = platform.login(platform.newUser("downloader"));
        // 4 minutes at 320 kb/s from a small FLAC: an MP3 of ~9.6 MB, more than the kernel's buffers (4 MiB) take
        // from a download that reads nothing, so each stalled download holds its slot
        String boundary = "b" + UUID.randomUUID();
        HttpResponse<String> uploaded = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(boundary, field("bitrate", "320"),
                        filePart("silence.flac", Files.readAllBytes(TestMedia.silentFlac(Duration.ofMinutes(4), true)))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(uploaded.body(), uploaded.statusCode(), is(202));
        String jobId = Json.MAPPER.readTree(uploaded.body()).get("jobId").asText();
        assertThat(platform.awaitFinished(token, jobId, Duration.ofSeconds(180)).get("state").asText(), is("DONE"));
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < DOWNLOADS; i++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(4096); // before connecting: the window stays small, the sender blocks
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), platform.gateway.port));
                socket.getOutputStream().write(("GET /jobs/" + jobId + "/mp3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + token + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                open.add(socket); // and read nothing: the download stalls
            }
            Thread.sleep(1000);
            HttpResponse<String> refused = get(platform.gateway, "/jobs/" + jobId + "/mp3", token);
            assertThat("a third download was answered " + refused.headers().firstValue("Content-Type").orElse("")
                    + " " + refused.headers().firstValue("Content-Length").orElse(""), refused.statusCode(), is(429));
            assertThat(refused.headers().firstValue("Retry-After").isPresent(), is(true));
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    /**
     * Bodies streaming at once are capped per replica whatever the accounts (each holds megabytes of heap: enough
     * of them would exhaust it and end every transfer): a multipart upload and tus PATCHes of two users that stall
     * hold the slots, the next upload waits its second and is told to try again, and once the stalled ones are cut
     * off uploads go through again.
     */
    @Test
    void aReplicaStreamsOnlySoManyBodiesAtOnceWhateverTheAccounts() throws Exception {
        String ann = platform.login(platform.newUser("transfers-ann"));
        String bob = platform.login(platform.newUser("transfers-bob"));
        byte[] wav = Files.readAllBytes(TestMedia.path(Sample.WAV_22K));
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < TRANSFERS; i++) {
                String token = i % 2 == 0 ? ann : bob;
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), platform.gateway.port));
                if (i == 0) { // a multipart upload
                    String boundary = "busy" + UUID.randomUUID();
                    byte[] body = body(boundary, filePart("busy.wav", wav));
                    socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                            + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: "
                            + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().write(body, 0, body.length / 2);
                } else { // a tus PATCH
                    HttpResponse<String> created = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/files/"))
                            .header("Authorization", "Bearer " + token).header("Tus-Resumable", "1.0.0")
                            .header("Upload-Length", Integer.toString(wav.length)).POST(HttpRequest.BodyPublishers.noBody())
                            .build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(created.body(), created.statusCode(), is(201));
                    socket.getOutputStream().write(("PATCH " + created.headers().firstValue("Location").orElseThrow()
                            + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nTus-Resumable: 1.0.0\r\n"
                            + "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
                            + wav.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().write(wav, 0, wav.length / 2);
                }
                socket.getOutputStream().flush(); // and then nothing
                stalled.add(socket);
            }
            Thread.sleep(300);
            long asked = System.nanoTime();
            HttpResponse<String> refused = upload(bob, "one-more.wav", wav);
            assertThat(refused.body(), refused.statusCode(), is(503));
            assertThat(refused.body(), containsString("too-busy"));
            assertThat(refused.headers().firstValue("Retry-After").orElse(""), is("5"));
            assertThat("it waited for a slot first", (System.nanoTime() - asked) / 1_000_000, greaterThanOrEqualTo(1000L));
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
        Instant deadline = Instant.now().plusSeconds(15);
        HttpResponse<String> accepted;
        do { // the stalled requests end (their clients went away) and give their slots back
            Thread.sleep(300);
            accepted = upload(bob, "after.wav", wav);
        } while (accepted.statusCode() == 503 && Instant.now().isBefore(deadline));
        assertThat(accepted.body(), accepted.statusCode(), is(202));
    }

    /** Finding 5: creations at the same moment pass neither the jobs-in-flight limit nor the webhooks limit. */
    @Test
    void simultaneousCreationsPassNoLimit() throws Exception {
        String token = platform.login(platform.newUser("racer"));
        int inFlight = 20; // gateway.quota.max-jobs-in-flight
        List<Integer> statuses = concurrently(inFlight + 10, i -> Platform.HTTP.send(HttpRequest.newBuilder(
                platform.gateway("/files/")).header("Authorization", "Bearer " + token).header("Tus-Resumable", "1.0.0")
                .header("Upload-Length", "100000").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        assertThat("created: " + statuses, statuses.stream().filter(st -> st == 201).count(), is((long) inFlight));
        assertThat(db.getCollection("uploads").countDocuments(Filters.eq("owner.userId", userId(token))), is((long) inFlight));
        int webhooks = 10; // webhooks.max-per-user
        List<Integer> created = concurrently(webhooks + 8, i -> post(token, "/webhooks",
                "{\"url\":\"" + hooks.url() + "/race" + i + "\"}").statusCode());
        assertThat("created: " + created, created.stream().filter(st -> st == 201).count(), is((long) webhooks));
    }

    /** Finding 6: the allow-list admits an endpoint, not every port and path of its address; pings are rate-limited. */
    @Test
    void aWebhookReachesOnlyTheAllowedEndpointAndPingsAreRateLimited() throws Exception {
        String token = platform.login(platform.newUser("prober"));
        String greenMail = LocalServers.get("GREENMAIL_API");
        for (String url : List.of(greenMail + "/api/mail/purge", "http://127.0.0.1:" + platform.gateway.port + "/jobs",
                "http://127.0.0.1:" + platform.running("mailer").getFirst().port + "/webhooks")) {
            HttpResponse<String> refused = post(token, "/webhooks", "{\"url\":\"" + url + "\"}");
            assertThat(url + ": " + refused.body(), refused.statusCode(), is(400));
        }
        String id = webhook(token, hooks.url()).get("id").asText();
        assertThat(post(token, "/webhooks/" + id + "/ping", "").statusCode(), is(202));
        HttpResponse<String> again = post(token, "/webhooks/" + id + "/ping", "");
        assertThat(again.body(), again.statusCode(), is(429));
        assertThat(again.headers().firstValue("Retry-After").isPresent(), is(true));
    }

    /** Finding 7: private IPv4 addresses wrapped in IPv6 forms are as private as they are. */
    @Test
    void privateAddressesInIpv6ClothesAreRefused() throws Exception {
        String token = platform.login(platform.newUser("wrapper"));
        for (String host : List.of("[::127.0.0.1]", "[::ffff:0:127.0.0.1]", "[::ffff:0:a00:1]", "[64:ff9b::a00:1]",
                "[64:ff9b::7f00:1]", "[64:ff9b:1::a00:1]", "[2002:a00:1::]", "[2002:7f00:1::]", "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",
                "[::ffff:169.254.169.254]", "[2001:db8::1]")) {
            HttpResponse<String> refused = post(token, "/webhooks", "{\"url\":\"https://" + host + "/hook\"}");
            assertThat(host + ": " + refused.body(), refused.statusCode(), is(400));
        }
    }

    /** Finding 9: a client repeating its last PATCH (a lost 204) gets the same answer, and a deleted job stays deleted. */
    @Test
    void repeatingTheLastPatchAfterCompletionAnswersAsAtFirstAndNeverBringsAJobBack() throws Exception {
        String token = platform.login(platform.newUser("repeater"));
        byte[] video = Files.readAllBytes(TestMedia.path(Sample.WAV_22K));
        HttpResponse<String> created = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/files/"))
                .header("Authorization", "Bearer " + token).header("Tus-Resumable", "1.0.0")
                .header("Upload-Length", Integer.toString(video.length))
                .header("Content-Type", "application/offset+octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(video)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.body(), created.statusCode(), is(201));
        String location = URI.create(created.headers().firstValue("Location").orElseThrow()).getPath();
        for (int round = 0; round < 2; round++) {
            for (byte[] body : List.of(new byte[0], java.util.Arrays.copyOfRange(video, video.length - 10, video.length))) {
                HttpResponse<String> repeated = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway(location))
                        .header("Authorization", "Bearer " + token).header("Tus-Resumable", "1.0.0")
                        .header("Upload-Offset", Integer.toString(body.length == 0 ? video.length : video.length - 10))
                        .header("Content-Type", "application/offset+octet-stream")
                        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(repeated.body(), repeated.statusCode(), is(body.length == 0 ? 204 : 409));
                if (body.length == 0) {
                    assertThat(repeated.headers().firstValue("Upload-Offset").orElseThrow(), is(Integer.toString(video.length)));
                }
            }
            String link = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway(location)).header("Authorization",
                    "Bearer " + token).header("Tus-Resumable", "1.0.0").method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).headers().firstValue("Link").orElseThrow();
            String jobId = link.substring(link.indexOf("/jobs/") + 6, link.indexOf('>'));
            if (round == 0) {
                assertThat(Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs/" + jobId)).DELETE()
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode(), is(204));
            } else {
                assertThat("the deleted job stays deleted", platform.job(token, jobId), is(nullValue()));
            }
        }
    }

    /** Finding 10: answers for a signed-in user, and the ones that show a webhook secret, are never stored. */
    @Test
    void authenticatedAnswersAreNeverStored() throws Exception {
        String token = platform.login(platform.newUser("cached"));
        HttpResponse<String> created = post(token, "/webhooks", "{\"url\":\"" + hooks.url() + "\"}");
        String id = Json.MAPPER.readTree(created.body()).get("id").asText();
        List<HttpResponse<String>> answers = List.of(created, post(token, "/webhooks/" + id + "/rotate", ""),
                get(platform.gateway, "/jobs", token), get(platform.gateway, "/webhooks/" + id, token),
                get(platform.gateway, "/me", token), get(platform.gateway, "/jobs/" + UUID.randomUUID(), token));
        for (HttpResponse<String> answer : answers) {
            assertThat(answer.uri() + " " + answer.statusCode(), answer.headers().firstValue("Cache-Control").orElse(""),
                    is("no-store"));
        }
    }

    /** Finding 11: one address signs up only so many accounts. */
    @Test
    void oneAddressSignsUpOnlySoManyAccounts() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        try (HttpClient client = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.77")).build()) {
            for (int i = 0; i < 25; i++) {
                statuses.add(client.send(HttpRequest.newBuilder(platform.gateway("/signup"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"many-" + i + "-" + LocalServers.unique()
                                + "@example.com\",\"password\":\"" + Platform.PASSWORD + "\"}")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());
            }
        }
        assertThat(statuses.toString(), statuses.stream().filter(st -> st == 201).count(), is(20L));
        assertThat(statuses.getLast(), is(429));
        assertThat("another address is not held back", platform.newUser("other-address").isEmpty(), is(false));
    }

    /** Finding 12: the mailer takes no user's identity from a bare header, not even on the local machine. */
    @Test
    void theMailerTrustsNoBareUserHeader() throws Exception {
        String token = platform.login(platform.newUser("impersonated"));
        webhook(token, hooks.url());
        ServiceProcess mailer = platform.running("mailer").getFirst();
        for (String method : List.of("GET", "POST")) {
            HttpResponse<String> forged = Platform.HTTP.send(HttpRequest.newBuilder(mailer.uri("/webhooks"))
                    .header("X-Mp3converter-User", userId(token)).header("Content-Type", "application/json")
                    .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString("{\"url\":\"" + hooks.url() + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(method + ": " + forged.body(), forged.statusCode(), is(401));
        }
    }

    private static JsonNode webhook(String token, String url) throws Exception {
        HttpResponse<String> created = post(token, "/webhooks", "{\"url\":\"" + url + "\"}");
        assertThat(created.body(), created.statusCode(), is(201));
        return Json.MAPPER.readTree(created.body());
    }

    private static HttpResponse<String> post(String token, String path, String json) throws Exception {
        return Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode getJson(String token, String path) throws Exception {
        HttpResponse<String> answer = get(platform.gateway, path, token);
        assertThat(answer.body(), answer.statusCode(), is(200));
        return Json.MAPPER.readTree(answer.body());
    }

    @FunctionalInterface
    private interface Call {
        int status(int i) throws Exception;
    }

    /** The statuses of {@code count} calls made at the same moment. */
    private static List<Integer> concurrently(int count, Call call) throws Exception {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.status(n);
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (var future : futures) {
                statuses.add(future.get());
            }
            return statuses;
        }
    }

    // --- helpers ------------------------------------------------------------------------------------------

    private static HttpResponse<String> get(ServiceProcess service, String path, String token) throws Exception {
        return Platform.HTTP.send(HttpRequest.newBuilder(service.uri(path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Auth's own check of a token ({@code POST /validate}, kept for the tutorial's clients). */
    private static int validate(String token) throws Exception {
        return Platform.HTTP.send(HttpRequest.newBuilder(platform.auth.uri("/validate"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpResponse<String> upload(String token, String name, byte[] content) throws Exception {
        String boundary = "b" + UUID.randomUUID();
        return Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(boundary, filePart(name, content)))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int loginStatus(String email) throws Exception {
        return login(InetAddress.getLoopbackAddress(), platform.gateway.port, email, Platform.PASSWORD, null).statusCode();
    }

    private static String adminToken() throws Exception {
        HttpResponse<String> response = login(InetAddress.getLoopbackAddress(), platform.gateway.port,
                platform.env.get("AUTH_ADMIN_EMAIL"), platform.env.get("AUTH_ADMIN_PASSWORD"), null);
        assertThat(response.body(), response.statusCode(), is(200));
        return response.body();
    }

    private static String userId(String token) throws Exception {
        return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1])).get("sub").asText();
    }

    private static String kid(String token) throws Exception {
        return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[0])).get("kid").asText();
    }

    /**
     * No GridFS chunk of the videos bucket without its file: an abandoned upload left none. (A video being deleted
     * after its conversion has its file removed a moment before its chunks, hence the short wait.)
     */
    private static void awaitNoOrphanChunks() throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(5);
        long orphans;
        while ((orphans = orphanChunks()) > 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertThat("chunks without their file", orphans, is(0L));
    }

    private static long orphanChunks() {
        Set<Object> files = new HashSet<>();
        db.getCollection("videos.files").find().forEach(f -> files.add(f.get("_id")));
        long orphans = 0;
        for (var chunk : db.getCollection("videos.chunks").find()) {
            if (!files.contains(chunk.get("files_id"))) {
                orphans++;
            }
        }
        return orphans;
    }

    private static String b64url(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static byte[] chunks(byte[] body, int size) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < body.length; i += size) {
            int n = Math.min(size, body.length - i);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }
}
