package com.mp3converter.gateway;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.token.TokenClaims;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The caller's account: {@code GET /me}; verifying the address and passwords ({@code /account/...}, passed to auth
 * as they are); and deleting it ({@code DELETE /me}, or an administrator's {@code DELETE /users/{id}}), which the
 * gateway records before auth deletes the account and then finishes in the background ({@link AccountDeletions}).
 */
public final class AccountService implements HttpService {
    private static final int MAX_BODY = 4096;

    private final URI auth;
    private final Duration timeout;
    private final int trustedProxies;
    private final Caller caller;
    private final Revocations revocations;
    private final AccountDeletions deletions;
    private final Runnable deletionsDue;
    private final Relay relay = new Relay("the account service");

    AccountService(URI auth, Duration timeout, int trustedProxies, Caller caller, Revocations revocations,
                   AccountDeletions deletions, Runnable deletionsDue) {
        this.auth = auth;
        this.timeout = timeout;
        this.trustedProxies = trustedProxies;
        this.caller = caller;
        this.revocations = revocations;
        this.deletions = deletions;
        this.deletionsDue = deletionsDue;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/me", (req, res) -> relay.send(toAuth(req, "/users/me").GET().build(), res))
                .delete("/me", this::deleteMe)
                .delete("/users/{id}", this::deleteUser)
                .post("/account/verify", this::passOn)
                .post("/account/verify/resend", this::passOn)
                .post("/account/password-reset", this::passOn)
                .post("/account/password-reset/confirm", this::passOn)
                .post("/account/password", this::passOn)
                .post("/account/token", this::passOn);
    }

    private void passOn(ServerRequest req, ServerResponse res) {
        relay.send(toAuth(req, req.path().path()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Relay.body(req, MAX_BODY, "account"))).build(), res);
    }

    /** With the password (or a token from a login moments ago): the account and everything of it go. */
    private void deleteMe(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.claims(req);
        byte[] body = Relay.body(req, MAX_BODY, "account deletion");
        delete(claims.userId(), toAuth(req, "/users/me").header("Content-Type", "application/json")
                .method("DELETE", HttpRequest.BodyPublishers.ofByteArray(body)).build(), res);
    }

    private void deleteUser(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.claims(req);
        if (!claims.isAdmin()) {
            throw Problems.forbidden("deleting another account needs the admin role");
        }
        String id = req.path().pathParameters().get("id");
        if (!id.matches("[0-9a-f-]{36}")) {
            throw Problems.notFound("no user " + id);
        }
        delete(id, toAuth(req, "/users/" + id).DELETE().build(), res);
    }

    /** Recorded first, then auth deletes the account (its tokens stop working), then the rest goes in the background. */
    private void delete(String userId, HttpRequest atAuth, ServerResponse res) {
        deletions.requested(userId);
        // no answer: the record stays unconfirmed, and a pass asks auth later whether the account went
        HttpResponse<byte[]> answer = relay.exchange(atAuth);
        if (answer.statusCode() != 204) {
            deletions.refused(userId);
            Relay.pass(answer, res);
            return;
        }
        deletions.confirmed(userId);
        revocations.revokeAll(userId);
        deletionsDue.run();
        res.status(Status.ACCEPTED_202);
        Json.send(res, Map.of("detail", "the account is deleted; its jobs, files, uploads and webhooks are being removed"));
    }

    private HttpRequest.Builder toAuth(ServerRequest req, String path) {
        HttpRequest.Builder forward = HttpRequest.newBuilder(auth.resolve(path)).timeout(timeout);
        Headers.single(req, HeaderNames.AUTHORIZATION).ifPresent(v -> forward.header("Authorization", v));
        req.headers().first(HeaderNames.ACCEPT).ifPresent(v -> forward.header("Accept", v));
        forward.header("X-Forwarded-For", Headers.clientAddress(req, trustedProxies));
        return forward;
    }
}
