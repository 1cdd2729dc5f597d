package com.mp3converter.auth;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.server.Application;
import com.mp3converter.common.server.Housekeeping;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.token.TokenVerifier;

import io.helidon.config.Config;
import io.helidon.dbclient.DbClientException;
import io.helidon.webserver.http.HttpRouting;

/** The auth service: users in MariaDB/MySQL, Argon2id passwords, ES256 tokens and the JWKS. */
public final class AuthApplication implements Application {
    private static final Logger LOG = Logger.getLogger(AuthApplication.class.getName());

    private final Database database;
    private final SigningKeys keys;
    private final UserStore users;
    private final PasswordHasher hasher;
    private final Config config;
    private final Clock clock = Clock.systemUTC();
    private final InternalCaller internal;
    private final AccountTokens accountTokens;
    private final AccountMails accountMails;
    private final Housekeeping housekeeping;

    public AuthApplication(Config config) {
        this.config = config;
        this.database = Database.open(config.get("db"));
        this.keys = SigningKeys.load(Path.of(config.get("auth.keys-dir").asString().get()));
        this.users = new UserStore(database.client());
        this.hasher = new PasswordHasher(config.get("auth.hashing.concurrency").asInt().get(),
                config.get("auth.hashing.wait").as(Duration.class).get());
        this.internal = InternalCaller.from(config);
        this.accountTokens = new AccountTokens(database.client(), clock);
        Config mail = config.get("auth.mail");
        this.accountMails = new AccountMails(database.client(),
                new AccountMails.Limits(mail.get("interval").as(Duration.class).get(), mail.get("per-day").asInt().get()),
                new AccountMails.Links(mail.get("verify-link").asString().get(), mail.get("reset-link").asString().get()),
                URI.create(config.get("mailer.url").asString().get()), config.get("mailer.timeout").as(Duration.class).get(),
                internal, clock);
        this.housekeeping = new Housekeeping("account-expiry", "expired links, account mails and revocations",
                () -> accountTokens.expire() + accountMails.expire() + users.expireRevocations(clock.instant()));
    }

    public static void main(String[] args) {
        ServiceServer.run("auth", AuthApplication::new);
    }

    @Override
    public String name() {
        return "auth";
    }

    @Override
    public Map<String, BooleanSupplier> readiness() {
        return Map.of("database", database::reachable);
    }

    /** Migrates the schema and ensures the bootstrap admin, in the background while the database is down. */
    @Override
    public void start() {
        try {
            prepareDatabase();
        } catch (RuntimeException e) {
            LOG.warning("database not ready at start-up (" + e.getMessage() + "); readiness stays down until it is");
            Startup.retryInBackground("db-prepare", () -> {
                prepareDatabase();
                LOG.info("database ready");
            });
        }
    }

    private void prepareDatabase() {
        database.migrate();
        bootstrapAdmin();
        accountMails.start();
        housekeeping.every(Duration.ofMinutes(10));
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
                users.create(EmailAddress.validate(email), hasher.hash(password), List.of(User.ROLE_USER, User.ROLE_ADMIN), true);
                LOG.info(() -> "created the bootstrap administrator " + email);
            } catch (UserStore.DuplicateEmailException raced) {
                LOG.fine("bootstrap administrator created by another replica");
            }
        }
    }

    @Override
    public void routing(HttpRouting.Builder rules) {
        Config auth = config.get("auth");
        String issuer = auth.get("issuer").asString().get();
        String audience = auth.get("audience").asString().get();
        TokenIssuer tokens = new TokenIssuer(keys, issuer, audience, auth.get("token.ttl").as(Duration.class).get(), clock);
        Authenticator authenticator = new Authenticator(new TokenVerifier(keys, issuer, audience, clock), users);
        Config throttling = auth.get("throttle");
        LoginThrottle throttle = new LoginThrottle(clock, new LoginThrottle.Limits(
                throttling.get("window").as(Duration.class).get(),
                throttling.get("max-failures-per-address").asInt().get(),
                throttling.get("max-failures-per-account-and-address").asInt().get(),
                throttling.get("account-under-attack").asInt().get(),
                throttling.get("signups-per-address").asInt().get(), throttling.get("signup-window").as(Duration.class).get()));
        int trustedProxies = auth.get("trusted-proxies").asInt().get();
        LoginService login = new LoginService(users, hasher, tokens, throttle, authenticator, trustedProxies);
        AccountService accounts = new AccountService(users, hasher, accountTokens, accountMails, tokens, authenticator,
                throttle, new AccountService.Settings(auth.get("verification.link-ttl").as(Duration.class).get(),
                        auth.get("password-reset.link-ttl").as(Duration.class).get(), trustedProxies), clock);
        UserService userService = new UserService(users, hasher, authenticator, auth.get("signup-enabled").asBoolean().get(),
                throttle, trustedProxies, accounts::mailVerification, internal, new UserService.Deletion(
                        auth.get("fresh-login").as(Duration.class).get(), tokens.ttl().plus(TokenVerifier.SKEW), clock));
        rules.register("/", login)
                .register("/users", userService)
                .register("/account", accounts)
                .register("/revocations", new RevocationService(users))
                .register("/.well-known", new JwksService(keys))
                .error(DbClientException.class, (req, res, e) -> {
                    if (Database.unavailable(e)) {
                        Problems.unavailable(req, res, "the user database");
                    } else {
                        Problems.internal(req, res, e);
                    }
                });
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        housekeeping.close();
        accountMails.close();
        database.close();
    }
}
