package com.mp3converter.systemtests;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.bson.BsonValue;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Accounts people can trust, against the four jars: an address is verified before anything is made with it, a
 * forgotten password comes back by a link that works once, and a deleted account leaves nothing of itself in any
 * MongoDB collection (named by asking the database) or in the users table. Account mails are read from GreenMail.
 */
class AccountsIT {
    private static final String NEW_PASSWORD = "a different passphrase";
    private static Platform platform;
    private static WebhookReceiver hooks;
    private static MongoClient mongo;
    private static MongoDatabase db;

    @BeforeAll
    static void start() throws Exception {
        hooks = WebhookReceiver.start(0);
        platform = Platform.start(Map.of("AUTH_MAIL_INTERVAL", "PT1S", "AUTH_PASSWORD_DASH_RESET_LINK_DASH_TTL", "PT15S",
                "AUTH_FRESH_DASH_LOGIN", "PT3S", "GATEWAY_ACCOUNT_DASH_DELETIONS_PASS", "PT2S", "WEBHOOKS_ALLOW", hooks.endpoint()));
        mongo = MongoClients.create(LocalServers.get("MONGO_URI"));
        db = mongo.getDatabase(platform.env.get("MONGO_DATABASE"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            platform.close();
        } finally {
            hooks.stop();
            mongo.close();
        }
    }

    @Test
    void anUnverifiedAccountCanSignInAndMakeNothingAndIsMailedOnlyItsLink() throws Exception {
        String email = platform.newUnverifiedUser("unverified");
        String token = platform.login(email);
        byte[] video = Files.readAllBytes(TestMedia.path(Sample.WAV_22K));
        assertRefused(upload(token, video), 403, "open the link we mailed");
        assertRefused(send(token, "POST", "/files/", HttpRequest.BodyPublishers.noBody(), "Tus-Resumable", "1.0.0",
                "Upload-Length", "1000"), 403, "open the link we mailed");
        assertRefused(send(token, "POST", "/webhooks", HttpRequest.BodyPublishers.ofString(
                "{\"url\":\"" + hooks.url() + "\"}"), "Content-Type", "application/json"), 403, "open the link we mailed");
        assertThat("it can look", send(token, "GET", "/jobs", HttpRequest.BodyPublishers.noBody()).statusCode(), is(200));
        assertThat(json(send(token, "GET", "/me", HttpRequest.BodyPublishers.noBody())).get("emailVerified").asBoolean(), is(false));

        String link = Platform.verificationToken(email);
        Thread.sleep(1100); // one verification mail a second to an address, here
        assertThat(send(token, "POST", "/account/verify/resend", HttpRequest.BodyPublishers.noBody()).statusCode(), is(202));
        Instant deadline = Instant.now().plusSeconds(30);
        while (Platform.mails(email).size() < 2 && Instant.now().isBefore(deadline)) {
            Thread.sleep(300);
        }
        assertThat("a resend made a new link; the old one stops working", post(null, "/account/verify",
                "{\"token\":\"" + link + "\"}").statusCode(), is(400));
        HttpResponse<String> verified = post(token, "/account/verify", "{\"token\":\"" + Platform.verificationToken(email) + "\"}");
        assertThat(verified.body(), verified.statusCode(), is(200));
        String fresh = json(verified).get("access_token").asText();
        assertThat(upload(fresh, video).statusCode(), is(202));
        assertThat("the token from before still says unverified", upload(token, video).statusCode(), is(403));
        List<Mail> mails = Platform.mails(email);
        assertThat("nothing but verification links reached the address before it was verified",
                mails.stream().map(Mail::kind).toList(), is(List.of("account.verify", "account.verify")));
        assertThat(mails.getFirst().subject(), is("Confirm your e-mail address for mp3converter"));
    }

    @Test
    void aResetLinkWorksOnceExpiresAndEndsEverySignInBeforeIt() throws Exception {
        String email = platform.newUser("reset");
        String before = platform.login(email);
        HttpResponse<String> asked = post(null, "/account/password-reset", "{\"email\":\"" + email + "\"}");
        HttpResponse<String> stranger = post(null, "/account/password-reset", "{\"email\":\"nobody-" + LocalServers.unique()
                + "@example.com\"}");
        assertThat(asked.statusCode(), is(202));
        assertThat("the same answer for an address without an account", stranger.body(), is(asked.body()));
        String link = Platform.linkToken(Platform.awaitMail(email, "account.reset", Duration.ofSeconds(60)), "#reset=");
        HttpResponse<String> reset = post(null, "/account/password-reset/confirm",
                "{\"token\":\"" + link + "\",\"password\":\"" + NEW_PASSWORD + "\"}");
        assertThat(reset.body(), reset.statusCode(), is(204));
        assertThat(post(null, "/account/password-reset/confirm", "{\"token\":\"" + link + "\",\"password\":\"yet another "
                + "passphrase\"}").statusCode(), is(400));
        awaitRefused(before);
        assertThat(login(email, Platform.PASSWORD).statusCode(), is(401));
        assertThat(login(email, NEW_PASSWORD).statusCode(), is(200));
        Mail notice = Platform.awaitMail(email, "account.password-changed", Duration.ofSeconds(60));
        assertThat(notice.subject(), is("Your mp3converter password was changed"));

        post(null, "/account/password-reset", "{\"email\":\"" + email + "\"}");
        Instant asked2 = Instant.now();
        Instant deadline = asked2.plusSeconds(30);
        List<Mail> resets = List.of();
        while (resets.size() < 2 && Instant.now().isBefore(deadline)) {
            Thread.sleep(300);
            resets = Platform.mails(email).stream().filter(m -> "account.reset".equals(m.kind())).toList();
        }
        assertThat(resets, hasSize(2));
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), asked2.plusSeconds(16)).toMillis()));
        assertThat("an expired link", post(null, "/account/password-reset/confirm", "{\"token\":\""
                + Platform.linkToken(resets.getLast(), "#reset=") + "\",\"password\":\"yet another passphrase\"}").statusCode(), is(400));

        String signedIn = json(login(email, NEW_PASSWORD)).get("access_token").asText();
        HttpResponse<String> changed = post(signedIn, "/account/password",
                "{\"password\":\"" + NEW_PASSWORD + "\",\"newPassword\":\"the third passphrase\"}");
        assertThat(changed.body(), changed.statusCode(), is(200));
        awaitRefused(signedIn);
        assertThat("the caller stays signed in", send(json(changed).get("access_token").asText(), "GET", "/jobs",
                HttpRequest.BodyPublishers.noBody()).statusCode(), is(200));
    }

    @Test
    void aDeletedAccountLeavesNothingOfItselfAndItsTokensStopAtOnce() throws Exception {
        String email = platform.newUser("deleted");
        String token = platform.login(email);
        String userId = json(send(token, "GET", "/me", HttpRequest.BodyPublishers.noBody())).get("id").asText();
        assertThat(post(token, "/webhooks", "{\"url\":\"" + hooks.url() + "\"}").statusCode(), is(201));
        List<String> jobIds = new ArrayList<>();
        HttpResponse<String> done = upload(token, Files.readAllBytes(TestMedia.path(Sample.WAV_22K)), "key-1");
        jobIds.add(json(done).get("jobId").asText());
        platform.awaitFinished(token, jobIds.getFirst(), Duration.ofSeconds(90));
        Platform.awaitJobMails(email, 1, Duration.ofSeconds(60));
        hooks.await(r -> r.body().contains(jobIds.getFirst()), Duration.ofSeconds(60));
        HttpResponse<String> unfinished = send(token, "POST", "/files/", HttpRequest.BodyPublishers.ofByteArray(
                        Arrays.copyOf(Files.readAllBytes(TestMedia.path(Sample.WAV_22K)), 20_000)),
                "Tus-Resumable", "1.0.0", "Upload-Length", "90000", "Content-Type", "application/offset+octet-stream");
        assertThat(unfinished.body(), unfinished.statusCode(), is(201));
        assertThat("something of the account is stored", traces(userId, email, jobIds), is(not(empty())));

        Thread.sleep(3100); // the login is no longer fresh
        HttpResponse<String> refused = send(token, "DELETE", "/me", HttpRequest.BodyPublishers.noBody());
        assertRefused(refused, 403, "send your password");
        assertThat("nothing went", traces(userId, email, jobIds), is(not(empty())));
        HttpResponse<String> deleted = send(token, "DELETE", "/me", HttpRequest.BodyPublishers.ofString(
                "{\"password\":\"" + Platform.PASSWORD + "\"}"), "Content-Type", "application/json");
        assertThat(deleted.body(), deleted.statusCode(), is(202));
        assertThat("its tokens stop at once", send(token, "GET", "/jobs", HttpRequest.BodyPublishers.noBody()).statusCode(), is(401));
        assertThat(login(email, Platform.PASSWORD).statusCode(), is(401));
        awaitNoTraces(userId, email, jobIds);
        assertThat("nothing in the users table", rows("SELECT id FROM users WHERE id = ? OR email_normalized = ?", userId, email),
                is(empty()));
        assertThat("nor among the account mails and links", rows("SELECT id FROM account_mails WHERE user_id = ? UNION ALL "
                + "SELECT user_id FROM account_tokens WHERE user_id = ?", userId, userId), is(empty()));
        assertThat("deleting again is harmless", send(token, "DELETE", "/me", HttpRequest.BodyPublishers.noBody()).statusCode(),
                is(401));
    }

    @Test
    void anAdministratorDeletesAnAccountAndAJobDeletedWhileTheMailerIsDownLeavesNothingOnceItIsBack() throws Exception {
        String email = platform.newUser("admin-deleted");
        String token = platform.login(email);
        String userId = json(send(token, "GET", "/me", HttpRequest.BodyPublishers.noBody())).get("id").asText();
        String jobId = json(upload(token, Files.readAllBytes(TestMedia.path(Sample.WAV_22K)), null)).get("jobId").asText();
        platform.awaitFinished(token, jobId, Duration.ofSeconds(90));
        Platform.awaitJobMails(email, 1, Duration.ofSeconds(60));
        assertThat(db.getCollection("deliveries").countDocuments(Filters.eq("jobId", jobId)), is(1L));

        ServiceProcess mailer = platform.running("mailer").getFirst();
        assertThat(mailer.terminate(Duration.ofSeconds(60)), is(143));
        assertThat(send(token, "DELETE", "/jobs/" + jobId, HttpRequest.BodyPublishers.noBody()).statusCode(), is(204));
        Thread.sleep(2000);
        assertThat("the mailer is down: its record waits", db.getCollection("deliveries").countDocuments(
                Filters.eq("jobId", jobId)), is(1L));
        platform.launch("mailer", Map.of()).awaitReady(Duration.ofSeconds(90));
        awaitNoTraces("no-such-user", "no-such-address", List.of(jobId));

        String admin = json(login(platform.env.get("AUTH_ADMIN_EMAIL"), platform.env.get("AUTH_ADMIN_PASSWORD")))
                .get("access_token").asText();
        assertThat("only administrators delete others", send(platform.login(platform.newUser("not-admin")), "DELETE",
                "/users/" + userId, HttpRequest.BodyPublishers.noBody()).statusCode(), is(403));
        assertThat(send(admin, "DELETE", "/users/" + userId, HttpRequest.BodyPublishers.noBody()).statusCode(), is(202));
        awaitRefused(token);
        awaitNoTraces(userId, email, List.of(jobId));
    }

    /** Every document of every collection the database names, searched for the account's ids and address. */
    private static List<String> traces(String userId, String email, List<String> jobIds) {
        List<String> found = new ArrayList<>();
        for (String name : db.listCollectionNames()) {
            if (name.endsWith(".chunks")) {
                for (BsonValue fileId : db.getCollection(name).distinct("files_id", BsonValue.class)) {
                    String files = name.replace(".chunks", ".files");
                    if (db.getCollection(files).countDocuments(Filters.eq("_id", fileId)) == 0
                            && db.getCollection("uploads").countDocuments(Filters.eq("fileId", fileId.asObjectId().getValue().toHexString())) == 0) {
                        found.add(name + ": chunks of " + fileId + " belong to nothing");
                    }
                }
                continue;
            }
            for (Document d : db.getCollection(name).find()) {
                String text = d.toJson();
                if (text.contains(userId) || text.toLowerCase().contains(email.toLowerCase())
                        || jobIds.stream().anyMatch(text::contains)) {
                    found.add(name + ": " + d.get("_id"));
                }
            }
        }
        return found;
    }

    private static void awaitNoTraces(String userId, String email, List<String> jobIds) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        List<String> found = traces(userId, email, jobIds);
        while (!found.isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            found = traces(userId, email, jobIds);
        }
        assertThat("nothing of the account is left in MongoDB", found, is(empty()));
    }

    /** The gateway refuses the token within its revocation poll (2 s), or at once. */
    private static void awaitRefused(String token) throws Exception {
        Instant deadline = Instant.now().plusSeconds(10);
        int status;
        do {
            status = send(token, "GET", "/jobs", HttpRequest.BodyPublishers.noBody()).statusCode();
            Thread.sleep(200);
        } while (status != 401 && Instant.now().isBefore(deadline));
        assertThat("a token from before is refused", status, is(401));
    }

    private static HttpResponse<String> upload(String token, byte[] video) throws Exception {
        return upload(token, video, null);
    }

    private static HttpResponse<String> upload(String token, byte[] video, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Multipart.body("b", Multipart.filePart("clip.wav", video))));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return Platform.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String token, String path, String json) throws Exception {
        return send(token, "POST", path, HttpRequest.BodyPublishers.ofString(json), "Content-Type", "application/json");
    }

    private static HttpResponse<String> send(String token, String method, String path, HttpRequest.BodyPublisher body,
                                             String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway(path)).method(method, body)
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return Platform.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> login(String email, String password) throws Exception {
        return Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/login"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((email + ":" + password)
                        .getBytes(StandardCharsets.UTF_8))).header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    private static void assertRefused(HttpResponse<String> response, int status, String words) throws Exception {
        assertThat(response.body(), response.statusCode(), is(status));
        assertThat(json(response).get("detail").asText(), containsString(words));
    }

    private static List<String> rows(String sql, String... args) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(platform.env.get("DB_URL"), platform.env.get("DB_USERNAME"),
                platform.env.get("DB_PASSWORD")); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    values.add(r.getString(1));
                }
            }
        }
        return values;
    }
}
