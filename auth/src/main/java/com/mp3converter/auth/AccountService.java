package com.mp3converter.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.token.BearerToken;
import com.mp3converter.common.token.TokenClaims;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /account}: verifying the address a sign-up gave ({@code POST /verify}, {@code POST /verify/resend}),
 * a forgotten password ({@code POST /password-reset}, {@code POST /password-reset/confirm}) and changing it while
 * signed in ({@code POST /password}); and the caller's token brought up to date ({@code POST /token}). A new password
 * revokes every token issued before it and mails a notice.
 */
public final class AccountService implements HttpService {
    private static final int MAX_BODY = 4096;
    private static final String RESET_SENT = "if an account with a verified address exists for it, a mail with a link "
            + "to choose a new password is on its way; the link works once, for a short while";

    private final UserStore users;
    private final PasswordHasher hasher;
    private final AccountTokens tokens;
    private final AccountMails mails;
    private final TokenIssuer issuer;
    private final Authenticator authenticator;
    private final LoginThrottle throttle;
    private final Settings settings;
    private final Clock clock;

    /** How long the links work, and how many proxies in front append to X-Forwarded-For. */
    public record Settings(Duration verifyLinkTtl, Duration resetLinkTtl, int trustedProxies) {
    }

    public AccountService(UserStore users, PasswordHasher hasher, AccountTokens tokens, AccountMails mails,
                          TokenIssuer issuer, Authenticator authenticator, LoginThrottle throttle, Settings settings,
                          Clock clock) {
        this.users = users;
        this.hasher = hasher;
        this.tokens = tokens;
        this.mails = mails;
        this.issuer = issuer;
        this.authenticator = authenticator;
        this.throttle = throttle;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/verify", this::verify)
                .post("/verify/resend", this::resend)
                .post("/password-reset", this::requestReset)
                .post("/password-reset/confirm", this::reset)
                .post("/password", this::change)
                .post("/token", this::refresh);
    }

    /** Mails a new sign-up its verification link (called by sign-up and by resend). */
    Optional<Duration> mailVerification(User user) {
        tokens.dropAll(user.id(), AccountTokens.Purpose.VERIFY);
        String token = tokens.issue(user.id(), AccountTokens.Purpose.VERIFY, settings.verifyLinkTtl());
        return mails.queue(user, AccountMails.Kind.VERIFY, token, clock.instant().plus(settings.verifyLinkTtl()));
    }

    /** The link's token verifies the address; a caller signed in as that user gets a token that says so. */
    private void verify(ServerRequest req, ServerResponse res) {
        String token = text(Json.body(req, MAX_BODY), "token");
        String userId = tokens.use(token, AccountTokens.Purpose.VERIFY).orElseThrow(() -> invalidLink("verification"));
        users.setVerified(userId);
        AuthMetrics.account("verified");
        User user = users.byId(userId).orElseThrow(() -> invalidLink("verification"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("emailVerified", true);
        if (BearerToken.from(req).isPresent() && authenticator.user(req).id().equals(userId)) {
            tokenFields(body, user);
        }
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        Json.send(res, body);
    }

    private void resend(ServerRequest req, ServerResponse res) {
        User user = authenticator.user(req);
        if (user.emailVerified()) {
            throw new ProblemException(409, "already-verified", "Already verified", "this account's address is verified already");
        }
        Optional<Duration> wait = mailVerification(user);
        if (wait.isPresent()) {
            throw tooMany(wait.get(), "a verification mail went to this address a moment ago");
        }
        AuthMetrics.account("verification-resent");
        res.status(Status.ACCEPTED_202);
        Json.send(res, Map.of("detail", "a new verification link is on its way to " + user.email()));
    }

    /**
     * Always the same answer, whether the address has an account or not; a mail only to a verified, enabled
     * account. Every request counts against the caller's address like a failed login, so addresses cannot be
     * probed or flooded from one place.
     */
    private void requestReset(ServerRequest req, ServerResponse res) {
        String address = Headers.clientAddress(req, settings.trustedProxies());
        Optional<Duration> blocked = throttle.blocked("", address);
        if (blocked.isPresent()) {
            throw tooMany(blocked.get(), "too many requests from here");
        }
        throttle.suspicious(address);
        String email = EmailAddress.validate(text(Json.body(req, MAX_BODY), "email"));
        users.byEmail(email).filter(user -> user.emailVerified() && !user.disabled()).ifPresent(user -> {
            String token = tokens.issue(user.id(), AccountTokens.Purpose.RESET, settings.resetLinkTtl());
            if (mails.queue(user, AccountMails.Kind.RESET, token, clock.instant().plus(settings.resetLinkTtl())).isPresent()) {
                tokens.dropAll(user.id(), AccountTokens.Purpose.RESET); // capped: the token goes nowhere
            }
        });
        AuthMetrics.account("reset-requested");
        res.status(Status.ACCEPTED_202);
        Json.send(res, Map.of("detail", RESET_SENT));
    }

    /** The link's token sets a new password; every earlier token, and every other reset link, stops working. */
    private void reset(ServerRequest req, ServerResponse res) {
        JsonNode body = Json.body(req, MAX_BODY);
        String token = text(body, "token");
        String password = text(body, "password");
        User user = tokens.peek(token, AccountTokens.Purpose.RESET).flatMap(users::byId)
                .orElseThrow(() -> invalidLink("password reset"));
        PasswordPolicy.check(password, user.email());
        if (tokens.use(token, AccountTokens.Purpose.RESET).filter(user.id()::equals).isEmpty()) {
            throw invalidLink("password reset");
        }
        setPassword(user, password);
        tokens.dropAll(user.id(), AccountTokens.Purpose.RESET);
        AuthMetrics.account("password-reset");
        res.status(Status.NO_CONTENT_204).send();
    }

    /** Signed in, with the current password: a new one, and a new token (every earlier one is revoked). */
    private void change(ServerRequest req, ServerResponse res) {
        User user = authenticator.user(req);
        JsonNode body = Json.body(req, MAX_BODY);
        if (!hasher.matches(text(body, "password"), user.passwordHash())) {
            throw new ProblemException(403, "wrong-password", "Wrong password", "the current password is not right");
        }
        String next = text(body, "newPassword");
        PasswordPolicy.check(next, user.email());
        setPassword(user, next);
        AuthMetrics.account("password-changed");
        Map<String, Object> answer = new LinkedHashMap<>();
        tokenFields(answer, users.byId(user.id()).orElseThrow());
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        Json.send(res, answer);
    }

    /**
     * The caller's token again with the account as it is now (the address verified since, say), expiring when the
     * token it replaces would: a session is brought up to date, never made longer.
     */
    private void refresh(ServerRequest req, ServerResponse res) {
        TokenClaims claims = authenticator.current(req);
        User user = users.byId(claims.userId()).orElseThrow();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", issuer.issue(user, claims.expiresAt()));
        body.put("token_type", "Bearer");
        body.put("expires_in", Math.max(0, Duration.between(clock.instant(), claims.expiresAt()).toSeconds()));
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        Json.send(res, body);
    }

    private void setPassword(User user, String password) {
        users.setPasswordHash(user.id(), hasher.hash(password));
        mails.queue(user, AccountMails.Kind.PASSWORD_CHANGED, null, null);
    }

    private void tokenFields(Map<String, Object> body, User user) {
        body.put("access_token", issuer.issue(user));
        body.put("token_type", "Bearer");
        body.put("expires_in", issuer.ttl().toSeconds());
    }

    private static ProblemException invalidLink(String what) {
        return new ProblemException(400, "invalid-link", "Link not valid",
                "this " + what + " link does not work any more: it was used already, it expired, or it was cut short; "
                        + "ask for a new one");
    }

    private static ProblemException tooMany(Duration wait, String why) {
        long seconds = Math.max(1, wait.toSeconds());
        return new ProblemException(429, "too-many-mails", "Too many requests", why + "; try again in " + seconds + " s")
                .header("Retry-After", Long.toString(seconds));
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw Problems.badRequest("'" + field + "' is required and must be a string");
        }
        return value.asText();
    }
}
