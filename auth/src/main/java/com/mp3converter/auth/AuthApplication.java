package com.mp3converter.auth;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

import com.mp3converter.common.http.Problem;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.token.TokenVerifier;

import io.helidon.config.Config;
import io.helidon.dbclient.DbClientException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;

/** The auth service: users in MariaDB/MySQL, Argon2id passwords, ES256 tokens and the JWKS. */
public final class AuthApplication {
    private static final Logger LOG = Logger.getLogger(AuthApplication.class.getName());

    private final Database database;
    private final SigningKeys keys;
    private final UserStore users;
    private final PasswordHasher hasher = new PasswordHasher();
    private final Config config;

    private AuthApplication(Config config) {
        this.config = config;
        this.database = Database.open(config.get("db"));
        this.keys = SigningKeys.load(Path.of(config.get("auth.keys-dir").asString().get()));
        this.users = new UserStore(database.client());
    }

    public static void main(String[] args) {
        Config config = ServiceServer.loadConfig("auth");
        AuthApplication app = create(config);
        WebServer server = app.server().start();
        LOG.info(() -> "auth listening on port " + server.port());
    }

    /** Builds the application: migrates the schema when the database is up, ensures the bootstrap admin. */
    public static AuthApplication create(Config config) {
        AuthApplication app = new AuthApplication(config);
        app.prepareDatabase();
        return app;
    }

    private void prepareDatabase() {
        try {
            database.migrate();
            bootstrapAdmin();
        } catch (RuntimeException e) {
            LOG.warning("database not ready at start-up (" + e.getMessage() + "); readiness stays down until it is");
            Startup.retryInBackground("db-prepare", () -> {
                database.migrate();
                bootstrapAdmin();
                LOG.info("database ready");
            });
        }
    }

    private void bootstrapAdmin() {
        String email = config.get("auth.admin.email").asString().orElse("").trim();
        String password = config.get("auth.admin.password").asString().orElse("");
        String passwordFile = config.get("auth.admin.password-file").asString().orElse("");
        if (password.isEmpty() && !passwordFile.isEmpty()) {
            try {
                password = Files.readString(Path.of(passwordFile)).strip();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot read auth.admin.password-file " + passwordFile, e);
            }
        }
        if (email.isEmpty() || password.isEmpty()) {
            return;
        }
        if (users.byEmail(email).isEmpty()) {
            try {
                users.create(EmailAddress.validate(email), hasher.hash(password), List.of(User.ROLE_USER, User.ROLE_ADMIN));
                LOG.info(() -> "created the bootstrap administrator " + email);
            } catch (UserStore.DuplicateEmailException raced) {
                LOG.fine("bootstrap administrator created by another replica");
            }
        }
    }

    public WebServer server() {
        WebServerConfig.Builder builder = WebServer.builder().config(config.get("server"));
        configure(builder);
        return builder.build();
    }

    /** Observe endpoints, readiness and the routing on a server builder (also used by tests). */
    public void configure(WebServerConfig.Builder builder) {
        Clock clock = Clock.systemUTC();
        Config auth = config.get("auth");
        TokenIssuer issuer = new TokenIssuer(keys, auth.get("issuer").asString().get(), auth.get("audience").asString().get(),
                auth.get("token.ttl").as(Duration.class).orElse(Duration.ofHours(1)), clock);
        TokenVerifier verifier = new TokenVerifier(keys, auth.get("issuer").asString().get(),
                auth.get("audience").asString().get(), clock);
        Authenticator authenticator = new Authenticator(verifier, users);
        LoginThrottle throttle = new LoginThrottle(clock,
                auth.get("throttle.window").as(Duration.class).orElse(Duration.ofMinutes(15)),
                auth.get("throttle.max-failures-per-account").asInt().orElse(5),
                auth.get("throttle.max-failures-per-address").asInt().orElse(20));
        boolean trustForwardedFor = auth.get("trust-forwarded-for").asBoolean().orElse(true);
        LoginService login = new LoginService(users, hasher, issuer, throttle, authenticator, trustForwardedFor);
        UserService userService = new UserService(users, hasher, authenticator, auth.get("signup-enabled").asBoolean().orElse(true));
        ServiceServer.named("auth")
                .readiness("database", database::reachable)
                .configure(builder, rules -> routing(rules, login, userService));
    }

    private void routing(HttpRouting.Builder rules, LoginService login, UserService userService) {
        rules.register("/", login)
                .register("/users", userService)
                .register("/.well-known", new JwksService(keys))
                .error(DbClientException.class, (req, res, e) -> {
                    if (Database.unavailable(e)) {
                        Problems.send(req, res, Problem.of(503, "unavailable", "Service unavailable",
                                "the user database cannot be reached; try again shortly"), null);
                    } else {
                        LOG.log(java.util.logging.Level.SEVERE, "database error", e);
                        Problems.send(req, res, Problem.of(500, "internal", "Internal error",
                                "something went wrong on our side; it has been logged"), null);
                    }
                });
    }

    public Database database() {
        return database;
    }
}
