package com.mp3converter.auth;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.tracing.Tracing;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;

/**
 * The mails about an account (verify the address, reset the password, the password was changed). Auth does not
 * send mail: it records each mail in {@code account_mails} (an outbox: a sign-up is never lost between auth and
 * the mailer) and hands it to the mailer's internal {@code /account-mails}, which sends it as it sends every mail.
 * The link's token is kept only until the mailer has the mail. Mails to one address are capped.
 */
public final class AccountMails implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AccountMails.class.getName());
    private static final Duration DAY = Duration.ofDays(1);

    /** The kinds of account mail; the mailer composes each from its kind. */
    public enum Kind {
        VERIFY("account.verify"), RESET("account.reset"), PASSWORD_CHANGED("account.password-changed");

        final String type;

        Kind(String type) {
            this.type = type;
        }

        /** Security notices always go; mails with a link are capped per address. */
        boolean capped() {
            return this != PASSWORD_CHANGED;
        }
    }

    /** At most one mail of a capped kind per {@code interval} to an address, and {@code perDay} mails of all kinds a day. */
    public record Limits(Duration interval, int perDay) {
    }

    /** The web page's links the mails carry, the token appended; the API path the token is posted to is auth's own. */
    public record Links(String verify, String reset) {
    }

    private final DbClient db;
    private final Limits limits;
    private final Links links;
    private final URI mailer;
    private final Duration timeout;
    private final InternalCaller internal;
    private final Clock clock;
    private final HttpClient http;
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean running = true;
    private Thread sender;

    public AccountMails(DbClient db, Limits limits, Links links, URI mailer, Duration timeout, InternalCaller internal,
                        Clock clock) {
        this.db = db;
        this.limits = limits;
        this.links = links;
        this.mailer = mailer;
        this.timeout = timeout;
        this.internal = internal;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * Queues a mail to the user's address, with the link of {@code token} (null for a notice): empty when queued,
     * else how long until the address may have another.
     */
    public Optional<Duration> queue(User user, Kind kind, String token, Instant tokenExpires) {
        Instant now = clock.instant();
        String address = EmailAddress.normalize(user.email());
        if (kind.capped()) {
            Optional<Duration> wait = wait(address, kind, now);
            if (wait.isPresent()) {
                return wait;
            }
        }
        db.execute().namedInsert("insert-account-mail", UUID.randomUUID().toString(), user.id(), user.email(), address,
                kind.type, token, tokenExpires == null ? null : Timestamp.from(tokenExpires));
        wake.release();
        return Optional.empty();
    }

    private Optional<Duration> wait(String address, Kind kind, Instant now) {
        DbRow lastDay = db.execute().namedGet("account-mails-since", kind.type, address, Timestamp.from(now.minus(DAY)))
                .orElseThrow();
        long count = ((Number) lastDay.column("mails").get()).longValue();
        Instant latest = lastDay.column("latest").asOptional().map(UserStore::instant).orElse(null);
        if (count >= limits.perDay()) {
            return Optional.of(DAY.minus(limits.interval()));
        }
        if (latest != null && latest.plus(limits.interval()).isAfter(now)) {
            return Optional.of(Duration.between(now, latest.plus(limits.interval())));
        }
        return Optional.empty();
    }

    public void start() {
        sender = Thread.ofPlatform().name("account-mails").daemon(true).start(this::run);
    }

    private void run() {
        while (running) {
            try {
                handOver();
                wake.tryAcquire(2, TimeUnit.SECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warning(() -> "account mails wait for the next pass: " + e.getMessage());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    /** Hands every unsent mail to the mailer, oldest first; stops at the first refusal (the mailer is down). */
    void handOver() throws InterruptedException {
        List<DbRow> unsent = db.execute().namedQuery("unsent-account-mails", 20).toList();
        for (DbRow row : unsent) {
            String id = row.column("id").get(String.class);
            String kind = row.column("kind").get(String.class);
            String token = row.column("link_token").asOptional().map(String.class::cast).orElse(null);
            Map<String, Object> mail = new LinkedHashMap<>();
            mail.put("id", id);
            mail.put("kind", kind);
            mail.put("to", row.column("email").get(String.class));
            mail.put("userId", row.column("user_id").get(String.class));
            if (token != null) {
                boolean verify = kind.equals(Kind.VERIFY.type);
                mail.put("link", (verify ? links.verify() : links.reset()) + token);
                mail.put("apiPath", verify ? "/account/verify" : "/account/password-reset/confirm");
                mail.put("token", token);
                mail.put("expiresAt", row.column("expires_at").asOptional().map(UserStore::instant).orElse(null));
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(mailer.resolve("/account-mails")).timeout(timeout)
                    .header("Content-Type", "application/json").header(InternalCaller.HEADER.defaultCase(), internal.token())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(mail)));
            Tracing.inject().forEach(request::header);
            HttpResponse<String> answer;
            try {
                answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                LOG.fine(() -> "the mailer cannot be reached for account mails now: " + e);
                return;
            }
            if (answer.statusCode() / 100 != 2) {
                LOG.warning(() -> "the mailer refused account mail " + id + ": " + answer.statusCode() + " " + answer.body());
                return;
            }
            db.execute().namedUpdate("account-mail-sent", id);
        }
    }

    /** Forgets mails older than a day (they no longer count against a cap); how many. */
    public int expire() {
        return (int) db.execute().namedDelete("expire-account-mails", Timestamp.from(clock.instant().minus(DAY)));
    }

    @Override
    public void close() {
        running = false;
        if (sender != null) {
            sender.interrupt();
        }
    }
}
