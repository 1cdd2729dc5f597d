package com.mp3converter.auth;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.testing.LocalServers;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webclient.api.ClientResponseTyped;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Verification, password reset and change, and deleting an account, through auth's routing against a fresh
 * schema on the local MariaDB. No mailer runs: the mails wait in auth's outbox ({@code account_mails}), which is
 * where this test reads the links from.
 */
@ServerTest
class AccountServiceTest {
    private static final String PASSWORD = "a long enough passphrase";
    private static final String INTERNAL = "an internal secret for the tests";
    private static TestDatabase database;
    private static AuthApplication app;

    private final Http1Client client;

    AccountServiceTest(Http1Client client) {
        this.client = client;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) throws Exception {
        database = new TestDatabase();
        Map<String, String> overrides = new HashMap<>();
        overrides.put("db.url", database.url());
        overrides.put("db.username", LocalServers.get("DB_USERNAME"));
        overrides.put("db.password", LocalServers.get("DB_PASSWORD"));
        overrides.put("auth.keys-dir", Files.createTempDirectory("auth-keys").toString());
        overrides.put("server.port", "0");
        overrides.put("internal.token", INTERNAL);
        overrides.put("mailer.url", "http://127.0.0.1:9");
        overrides.put("auth.fresh-login", "PT2S");
        overrides.put("auth.mail.interval", "PT3S");
        overrides.put("auth.mail.per-day", "4");
        overrides.put("auth.throttle.max-failures-per-address", "1000");
        overrides.put("auth.throttle.signups-per-address", "1000");
        Config config = ServiceServer.config(overrides, ConfigSources.classpath("application.yaml").build());
        app = new AuthApplication(config);
        app.start();
        ServiceServer.configure(server, config, app);
    }

    @AfterAll
    static void dropDatabase() {
        app.close();
        database.close();
    }

    @Test
    void aSignUpIsUnverifiedUntilItsLinkIsOpenedOnceAndItsTokensSaySo() throws Exception {
        String email = "new." + LocalServers.unique() + "@example.com";
        assertThat(signup(email).status(), is(Status.CREATED_201));
        String token = login(email);
        assertThat(claims(token).get("email_verified").asBoolean(), is(false));
        assertThat(json(me(token)).get("emailVerified").asBoolean(), is(false));
        List<String> mails = mails(email);
        assertThat("one verification mail is queued", mails, is(List.of("account.verify")));
        String link = linkToken(email, "account.verify");

        var verified = client.post("/account/verify").header(HeaderNames.AUTHORIZATION, "Bearer " + token)
                .header(HeaderNames.CONTENT_TYPE, "application/json").submit("{\"token\":\"" + link + "\"}", String.class);
        assertThat(verified.entity(), verified.status(), is(Status.OK_200));
        String fresh = json(verified).get("access_token").asText();
        assertThat("signed in, the caller gets a token that says verified", claims(fresh).get("email_verified").asBoolean(), is(true));
        assertThat(json(me(fresh)).get("emailVerified").asBoolean(), is(true));
        var again = post("/account/verify", "{\"token\":\"" + link + "\"}", null);
        assertThat("a link works once", again.status(), is(Status.BAD_REQUEST_400));
        assertThat(again.entity(), containsString("does not work any more"));
        assertThat(post("/account/verify/resend", "", fresh).status(), is(Status.CONFLICT_409));
        assertThat(claims(login(email)).get("email_verified").asBoolean(), is(true));
    }

    @Test
    void verificationMailsToOneAddressAreCapped() throws Exception {
        String email = "capped." + LocalServers.unique() + "@example.com";
        signup(email);
        String token = login(email);
        var tooSoon = post("/account/verify/resend", "", token);
        assertThat(tooSoon.entity(), tooSoon.status(), is(Status.TOO_MANY_REQUESTS_429));
        assertThat(Integer.parseInt(tooSoon.headers().first(HeaderNames.RETRY_AFTER).orElseThrow()), greaterThan(0));
        Thread.sleep(3100);
        assertThat(post("/account/verify/resend", "", token).status(), is(Status.ACCEPTED_202));
        assertThat(mails(email).size(), is(2));
        var bogus = post("/account/verify", "{\"token\":\"" + "x".repeat(43) + "\"}", null);
        assertThat(bogus.status(), is(Status.BAD_REQUEST_400));
    }

    @Test
    void aResetLinkWorksOnceBeforeItExpiresAndEndsEverySignInBeforeIt() throws Exception {
        String email = verifiedUser("reset");
        String before = login(email);
        var asked = post("/account/password-reset", "{\"email\":\"" + email + "\"}", null);
        var unknown = post("/account/password-reset", "{\"email\":\"nobody." + LocalServers.unique() + "@example.com\"}", null);
        assertThat(asked.status(), is(Status.ACCEPTED_202));
        assertThat("no account enumeration", unknown.status(), is(asked.status()));
        assertThat(unknown.entity(), is(asked.entity()));
        String link = linkToken(email, "account.reset");

        var weak = post("/account/password-reset/confirm", "{\"token\":\"" + link + "\",\"password\":\"short\"}", null);
        assertThat("the password policy holds", weak.status(), is(Status.BAD_REQUEST_400));
        var reset = post("/account/password-reset/confirm", "{\"token\":\"" + link + "\",\"password\":\"an entirely new passphrase\"}", null);
        assertThat("a refused password does not use the link up", reset.status(), is(Status.NO_CONTENT_204));
        assertThat("every earlier token is revoked", me(before).status(), is(Status.UNAUTHORIZED_401));
        assertThat(login(email, PASSWORD).status(), is(Status.UNAUTHORIZED_401));
        assertThat(login(email, "an entirely new passphrase").status(), is(Status.OK_200));
        assertThat(post("/account/password-reset/confirm", "{\"token\":\"" + link + "\",\"password\":\"yet another passphrase\"}",
                null).status(), is(Status.BAD_REQUEST_400));
        assertThat("a notice that the password changed", mails(email), is(List.of("account.verify", "account.reset",
                "account.password-changed")));

        Thread.sleep(3100);
        post("/account/password-reset", "{\"email\":\"" + email + "\"}", null);
        String expiring = linkToken(email, "account.reset");
        database.execute("UPDATE " + schema() + ".account_tokens SET expires_at = NOW(3) - INTERVAL 1 SECOND");
        assertThat("an expired link", post("/account/password-reset/confirm", "{\"token\":\"" + expiring
                + "\",\"password\":\"yet another passphrase\"}", null).status(), is(Status.BAD_REQUEST_400));
    }

    @Test
    void changingThePasswordNeedsTheOldOneRevokesOlderTokensAndKeepsTheCallerSignedIn() throws Exception {
        String email = verifiedUser("change");
        String token = login(email);
        assertThat(post("/account/password", "{\"password\":\"not my password\",\"newPassword\":\"a brand new passphrase\"}",
                token).status(), is(Status.FORBIDDEN_403));
        var changed = post("/account/password", "{\"password\":\"" + PASSWORD + "\",\"newPassword\":\"a brand new passphrase\"}", token);
        assertThat(changed.entity(), changed.status(), is(Status.OK_200));
        assertThat(me(token).status(), is(Status.UNAUTHORIZED_401));
        assertThat("the new token issued in the same second works", me(json(changed).get("access_token").asText()).status(),
                is(Status.OK_200));
    }

    @Test
    void deletingTheOwnAccountNeedsThePasswordOrAFreshLoginAndLeavesNothing() throws Exception {
        String email = verifiedUser("delete");
        String token = login(email);
        String id = json(me(token)).get("id").asText();
        var wrong = client.delete("/users/me").header(HeaderNames.AUTHORIZATION, "Bearer " + token)
                .header(HeaderNames.CONTENT_TYPE, "application/json").submit("{\"password\":\"not the password\"}", String.class);
        assertThat("a wrong password refuses even with a fresh token", wrong.status(), is(Status.FORBIDDEN_403));
        Thread.sleep(2100); // the login is no longer fresh
        var noPassword = client.delete("/users/me").header(HeaderNames.AUTHORIZATION, "Bearer " + token).request(String.class);
        assertThat(noPassword.status(), is(Status.FORBIDDEN_403));
        var deleted = client.delete("/users/me").header(HeaderNames.AUTHORIZATION, "Bearer " + token)
                .header(HeaderNames.CONTENT_TYPE, "application/json").submit("{\"password\":\"" + PASSWORD + "\"}", String.class);
        assertThat(deleted.status(), is(Status.NO_CONTENT_204));
        assertThat(me(token).status(), is(Status.UNAUTHORIZED_401));
        assertThat(login(email, PASSWORD).status(), is(Status.UNAUTHORIZED_401));
        assertThat(rows("SELECT id FROM users WHERE id = ? OR email_normalized = ?", id, email), is(empty()));
        assertThat(rows("SELECT id FROM account_mails WHERE user_id = ? OR email_normalized = ?", id, email), is(empty()));
        assertThat(rows("SELECT token_hash FROM account_tokens WHERE user_id = ?", id), is(empty()));
        var revoked = client.get("/revocations").request(String.class);
        assertThat("its tokens stay refused by id", revoked.entity(), containsString(id));
        assertThat("the address is free again", signup(email).status(), is(Status.CREATED_201));

        String other = json(me(login(verifiedUser("deleted-by-the-platform")))).get("id").asText();
        assertThat("only the platform or an administrator deletes others", client.delete("/users/" + other)
                .header(HeaderNames.AUTHORIZATION, "Bearer " + login(email)).request(String.class).status(), is(Status.FORBIDDEN_403));
        assertThat(client.delete("/users/" + other).header(InternalCaller.HEADER, INTERNAL).request(String.class).status(),
                is(Status.NO_CONTENT_204));
        assertThat(client.get("/users/" + other).header(InternalCaller.HEADER, INTERNAL).request(String.class).status(),
                is(Status.NOT_FOUND_404));
        assertThat("deleting twice is fine", client.delete("/users/" + other).header(InternalCaller.HEADER, INTERNAL)
                .request(String.class).status(), is(Status.NO_CONTENT_204));
        assertThat(client.delete("/users/" + other).header(InternalCaller.HEADER, "a wrong secret, long enough")
                .request(String.class).status(), is(Status.UNAUTHORIZED_401));
    }

    private String verifiedUser(String label) throws Exception {
        String email = label + "." + LocalServers.unique() + "@example.com";
        signup(email);
        assertThat(post("/account/verify", "{\"token\":\"" + linkToken(email, "account.verify") + "\"}", null).status(),
                is(Status.OK_200));
        return email;
    }

    private ClientResponseTyped<String> signup(String email) {
        return post("/users", "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}", null);
    }

    private String login(String email) {
        var token = login(email, PASSWORD);
        assertThat(token.entity(), token.status(), is(Status.OK_200));
        return token.entity();
    }

    private ClientResponseTyped<String> login(String email, String password) {
        return client.post("/login").header(HeaderNames.AUTHORIZATION, "Basic " + Base64.getEncoder()
                .encodeToString((email + ":" + password).getBytes(StandardCharsets.UTF_8))).request(String.class);
    }

    private ClientResponseTyped<String> me(String token) {
        return client.get("/users/me").header(HeaderNames.AUTHORIZATION, "Bearer " + token).request(String.class);
    }

    private ClientResponseTyped<String> post(String path, String body, String token) {
        var request = client.post(path).header(HeaderNames.CONTENT_TYPE, "application/json");
        if (token != null) {
            request.header(HeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        return body.isEmpty() ? request.request(String.class) : request.submit(body, String.class);
    }

    private static JsonNode json(ClientResponseTyped<String> response) throws Exception {
        return Json.MAPPER.readTree(response.entity());
    }

    private static JsonNode claims(String token) throws Exception {
        return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    /** The kinds of the account mails queued for an address, oldest first. */
    private static List<String> mails(String email) throws Exception {
        return rows("SELECT kind FROM account_mails WHERE email_normalized = ? ORDER BY created_at", email);
    }

    /** The token of the newest mail of this kind to this address: what its link carries. */
    private static String linkToken(String email, String kind) throws Exception {
        List<String> tokens = rows("SELECT link_token FROM account_mails WHERE email_normalized = ? AND kind = ? "
                + "ORDER BY created_at DESC LIMIT 1", email, kind);
        assertThat("a " + kind + " mail with a link is queued for " + email, tokens.size(), is(1));
        assertThat(tokens.getFirst(), not(is((String) null)));
        return tokens.getFirst();
    }

    private static String schema() {
        return database.url().substring(database.url().lastIndexOf('/') + 1);
    }

    private static List<String> rows(String sql, String... args) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(database.url(), LocalServers.get("DB_USERNAME"), LocalServers.get("DB_PASSWORD"));
             PreparedStatement s = c.prepareStatement(sql)) {
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
