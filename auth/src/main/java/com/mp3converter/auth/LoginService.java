package com.mp3converter.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.token.TokenClaims;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaTypes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /login} (HTTP Basic → token, text/plain as in the tutorial or JSON on request) and
 * {@code POST /validate} (Bearer → claims, kept for tutorial clients).
 */
public final class LoginService implements HttpService {
    private final UserStore users;
    private final PasswordHasher hasher;
    private final TokenIssuer issuer;
    private final LoginThrottle throttle;
    private final Authenticator authenticator;
    private final int trustedProxies;

    public LoginService(UserStore users, PasswordHasher hasher, TokenIssuer issuer, LoginThrottle throttle,
                        Authenticator authenticator, int trustedProxies) {
        this.users = users;
        this.hasher = hasher;
        this.issuer = issuer;
        this.throttle = throttle;
        this.authenticator = authenticator;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/login", this::login)
                .post("/validate", this::validate);
    }

    private void login(ServerRequest req, ServerResponse res) {
        String[] credentials = basicCredentials(req);
        String account = EmailAddress.normalize(credentials[0]);
        String address = Headers.clientAddress(req, trustedProxies);
        Optional<Duration> wait = throttle.blocked(account, address);
        if (wait.isPresent()) {
            AuthMetrics.login("throttled");
            long seconds = Math.max(1, wait.get().toSeconds());
            throw new ProblemException(429, "too-many-login-failures", "Too many failed logins",
                    "too many failed logins from here; try again in " + seconds + " s")
                    .header("Retry-After", Long.toString(seconds));
        }
        Optional<User> user = users.byEmail(account);
        boolean ok = user.isPresent()
                ? hasher.matches(credentials[1], user.get().passwordHash())
                : hasher.matchesNobody(credentials[1]);
        if (!ok || user.get().disabled()) {
            throttle.failed(account, address);
            AuthMetrics.login("rejected");
            throw new ProblemException(401, "invalid-credentials", "Invalid credentials",
                    "the e-mail address or the password is wrong").header("WWW-Authenticate", "Basic realm=\"mp3converter\"");
        }
        throttle.succeeded(account, address);
        AuthMetrics.login("success");
        String token = issuer.issue(user.get());
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (wantsJson(req)) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("access_token", token);
            body.put("token_type", "Bearer");
            body.put("expires_in", issuer.ttl().toSeconds());
            Json.send(res, body);
        } else {
            res.header(HeaderNames.CONTENT_TYPE, HttpMediaTypes.PLAINTEXT_UTF_8.text());
            res.send(token);
        }
    }

    /** JSON only when asked for by name: tutorial clients send no Accept or curl's wildcard and get text. */
    private static boolean wantsJson(ServerRequest req) {
        return req.headers().acceptedTypes().stream()
                .anyMatch(t -> "application".equals(t.mediaType().type()) && "json".equals(t.mediaType().subtype()));
    }

    private void validate(ServerRequest req, ServerResponse res) {
        TokenClaims claims = authenticator.current(req);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sub", claims.userId());
        body.put("email", claims.email());
        body.put("roles", claims.roles());
        body.put("admin", claims.isAdmin());
        body.put("exp", claims.expiresAt().getEpochSecond());
        Json.send(res, body);
    }

    private static String[] basicCredentials(ServerRequest req) {
        String header = Headers.single(req, HeaderNames.AUTHORIZATION).orElse("").trim();
        if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
            throw new ProblemException(401, "invalid-credentials", "Missing credentials",
                    "log in with HTTP Basic: curl -X POST -u EMAIL:PASSWORD .../login")
                    .header("WWW-Authenticate", "Basic realm=\"mp3converter\"");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw badBasic();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0 || colon == decoded.length() - 1 || decoded.length() > 512) {
            throw badBasic();
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    private static ProblemException badBasic() {
        return new ProblemException(401, "invalid-credentials", "Malformed credentials",
                "the Basic credentials must be base64 of EMAIL:PASSWORD")
                .header("WWW-Authenticate", "Basic realm=\"mp3converter\"");
    }

}
