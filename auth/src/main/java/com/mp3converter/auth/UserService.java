package com.mp3converter.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.token.TokenClaims;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /users} (sign-up: the account starts unverified and its verification link is mailed),
 * {@code GET /users/me}, {@code DELETE /users/me} (with the password, or a token from a recent login), and for
 * admins {@code GET /users}, {@code GET}/{@code PATCH}/{@code DELETE /users/{id}} ({@code disabled}, {@code roles}).
 * The gateway also reads and deletes accounts with the platform's internal secret when it finishes a deletion.
 */
public final class UserService implements HttpService {
    private static final Set<String> ROLES = Set.of(User.ROLE_USER, User.ROLE_ADMIN);

    private final UserStore users;
    private final PasswordHasher hasher;
    private final Authenticator authenticator;
    private final boolean signupEnabled;
    private final LoginThrottle throttle;
    private final int trustedProxies;
    private final Function<User, Optional<Duration>> verificationMail;
    private final InternalCaller internal;
    private final Deletion deletion;

    /** How recent a login must be to delete without the password, and how long a deleted account's tokens live. */
    public record Deletion(Duration freshLogin, Duration tokensLive, Clock clock) {
    }

    public UserService(UserStore users, PasswordHasher hasher, Authenticator authenticator, boolean signupEnabled,
                       LoginThrottle throttle, int trustedProxies, Function<User, Optional<Duration>> verificationMail,
                       InternalCaller internal, Deletion deletion) {
        this.users = users;
        this.hasher = hasher;
        this.authenticator = authenticator;
        this.signupEnabled = signupEnabled;
        this.throttle = throttle;
        this.trustedProxies = trustedProxies;
        this.verificationMail = verificationMail;
        this.internal = internal;
        this.deletion = deletion;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::signup)
                .get("/me", this::me)
                .delete("/me", this::deleteMe)
                .get("/", this::list)
                .get("/{id}", this::get)
                .patch("/{id}", this::update)
                .delete("/{id}", this::delete);
    }

    /**
     * A taken address answers 409, which tells the caller that the address has an account (docs/security.md says
     * why we keep it); each such answer counts against the caller's address like a failed login, so probing many
     * addresses is as slow as guessing passwords.
     */
    private void signup(ServerRequest req, ServerResponse res) {
        if (!signupEnabled) {
            AuthMetrics.signup("disabled");
            throw new ProblemException(403, "signup-disabled", "Sign-up is switched off",
                    "ask an administrator for an account");
        }
        String address = Headers.clientAddress(req, trustedProxies);
        Optional<Duration> wait = throttle.blocked("", address);
        if (wait.isPresent()) {
            AuthMetrics.signup("throttled");
            throw new ProblemException(429, "too-many-attempts", "Too many attempts",
                    "too many failed attempts from here; try again in " + Math.max(1, wait.get().toSeconds()) + " s")
                    .header("Retry-After", Long.toString(Math.max(1, wait.get().toSeconds())));
        }
        JsonNode body = Json.body(req, 4096);
        String email = EmailAddress.validate(text(body, "email"));
        String password = text(body, "password");
        PasswordPolicy.check(password, email);
        Optional<Duration> tooMany = throttle.signup(address);
        if (tooMany.isPresent()) {
            AuthMetrics.signup("throttled");
            long seconds = Math.max(1, tooMany.get().toSeconds());
            throw new ProblemException(429, "too-many-signups", "Too many sign-ups",
                    "too many accounts were made from here; try again in " + seconds + " s")
                    .header("Retry-After", Long.toString(seconds));
        }
        User user;
        try {
            user = users.create(email, hasher.hash(password), List.of(User.ROLE_USER), false);
        } catch (UserStore.DuplicateEmailException e) {
            AuthMetrics.signup("duplicate");
            throttle.suspicious(address);
            throw new ProblemException(409, "email-taken", "E-mail address taken",
                    "an account with this e-mail address exists; log in instead");
        }
        AuthMetrics.signup("created");
        verificationMail.apply(user);
        res.status(Status.CREATED_201);
        res.header(HeaderNames.LOCATION, "/users/" + user.id());
        Json.send(res, user.view());
    }

    private void me(ServerRequest req, ServerResponse res) {
        Json.send(res, authenticator.user(req).view());
    }

    /**
     * The caller's own account, confirmed by the password (a wrong one refuses, whatever the token) or, without one,
     * by a token from a login moments ago; it goes at once.
     */
    private void deleteMe(ServerRequest req, ServerResponse res) {
        TokenClaims claims = authenticator.current(req);
        User user = users.byId(claims.userId()).orElseThrow();
        boolean fresh = claims.issuedAt().isAfter(deletion.clock().instant().minus(deletion.freshLogin()));
        String password = req.content().hasEntity() ? Json.body(req, 4096).path("password").asText("") : "";
        if (!password.isEmpty() && !hasher.matches(password, user.passwordHash())) {
            throw new ProblemException(403, "wrong-password", "Wrong password", "the password is not right; the account stays");
        }
        if (password.isEmpty() && !fresh) {
            throw new ProblemException(403, "confirm-with-password", "Confirm with your password",
                    "to delete the account, send your password as {\"password\": \"...\"} (or log in again and do it "
                            + "within " + deletion.freshLogin().toMinutes() + " minutes)");
        }
        remove(user.id());
        res.status(Status.NO_CONTENT_204).send();
    }

    /** An administrator's, or the platform's own, view of one account. */
    private void get(ServerRequest req, ServerResponse res) {
        if (!internal.calledBy(req)) {
            authenticator.admin(req);
        }
        String id = req.path().pathParameters().get("id");
        Json.send(res, users.byId(id).orElseThrow(() -> Problems.notFound("no user " + id)).view());
    }

    /** An administrator deletes an account, or the platform finishes a deletion; idempotent (gone: 204 too). */
    private void delete(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        if (!internal.calledBy(req)) {
            User admin = authenticator.admin(req);
            if (admin.id().equals(id)) {
                throw Problems.badRequest("an administrator deletes their own account with DELETE /me");
            }
        }
        remove(id);
        res.status(Status.NO_CONTENT_204).send();
    }

    private void remove(String id) {
        if (users.delete(id, deletion.clock().instant().plus(deletion.tokensLive()))) {
            AuthMetrics.account("deleted");
        }
    }

    private void list(ServerRequest req, ServerResponse res) {
        authenticator.admin(req);
        int offset = Problems.intParam(req, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Problems.intParam(req, "limit", 50, 1, 200);
        Json.send(res, Map.of("offset", offset, "limit", limit,
                "items", users.list(offset, limit).stream().map(User::view).toList()));
    }

    private void update(ServerRequest req, ServerResponse res) {
        User admin = authenticator.admin(req);
        String id = req.path().pathParameters().get("id");
        User target = users.byId(id).orElseThrow(() -> Problems.notFound("no user " + id));
        JsonNode body = Json.body(req, 4096);
        if (body.has("disabled")) {
            if (!body.get("disabled").isBoolean()) {
                throw Problems.badRequest("'disabled' must be true or false");
            }
            if (target.id().equals(admin.id()) && body.get("disabled").asBoolean()) {
                throw Problems.badRequest("an administrator cannot disable their own account");
            }
            users.setDisabled(id, body.get("disabled").asBoolean());
        }
        if (body.has("roles")) {
            List<String> roles = new ArrayList<>();
            if (!body.get("roles").isArray() || body.get("roles").isEmpty()) {
                throw Problems.badRequest("'roles' must be a non-empty array of " + ROLES);
            }
            body.get("roles").forEach(r -> {
                if (!ROLES.contains(r.asText())) {
                    throw Problems.badRequest("unknown role '" + r.asText() + "'; roles are " + ROLES);
                }
                if (!roles.contains(r.asText())) {
                    roles.add(r.asText());
                }
            });
            users.setRoles(id, roles);
        }
        Json.send(res, users.byId(id).orElseThrow().view());
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw Problems.badRequest("'" + field + "' is required and must be a string");
        }
        return value.asText();
    }
}
