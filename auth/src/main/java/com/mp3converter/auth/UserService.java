package com.mp3converter.auth;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /users} (sign-up), {@code GET /users/me}, and for admins {@code GET /users} and
 * {@code PATCH /users/{id}} ({@code disabled}, {@code roles}).
 */
public final class UserService implements HttpService {
    private static final Set<String> ROLES = Set.of(User.ROLE_USER, User.ROLE_ADMIN);

    private final UserStore users;
    private final PasswordHasher hasher;
    private final Authenticator authenticator;
    private final boolean signupEnabled;
    private final LoginThrottle throttle;
    private final int trustedProxies;

    public UserService(UserStore users, PasswordHasher hasher, Authenticator authenticator, boolean signupEnabled,
                       LoginThrottle throttle, int trustedProxies) {
        this.users = users;
        this.hasher = hasher;
        this.authenticator = authenticator;
        this.signupEnabled = signupEnabled;
        this.throttle = throttle;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::signup)
                .get("/me", this::me)
                .get("/", this::list)
                .patch("/{id}", this::update);
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
        User user;
        try {
            user = users.create(email, hasher.hash(password), List.of(User.ROLE_USER));
        } catch (UserStore.DuplicateEmailException e) {
            AuthMetrics.signup("duplicate");
            throttle.suspicious(address);
            throw new ProblemException(409, "email-taken", "E-mail address taken",
                    "an account with this e-mail address exists; log in instead");
        }
        AuthMetrics.signup("created");
        res.status(Status.CREATED_201);
        res.header(HeaderNames.LOCATION, "/users/" + user.id());
        Json.send(res, user.view());
    }

    private void me(ServerRequest req, ServerResponse res) {
        Json.send(res, authenticator.user(req).view());
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
