package com.mp3converter.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

import io.helidon.dbclient.DbClient;

/**
 * The single-use tokens of the links auth mails (verifying an address, resetting a password): 32 random bytes,
 * of which only the SHA-256 is stored; a token works once, before it expires.
 */
public final class AccountTokens {
    /** What a token is for; a token for one purpose opens nothing else. */
    public enum Purpose { VERIFY, RESET }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DbClient db;
    private final Clock clock;

    public AccountTokens(DbClient db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** A new token for this user and purpose, valid for {@code ttl}; what the link carries. */
    public String issue(String userId, Purpose purpose, Duration ttl) {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        db.execute().namedInsert("insert-account-token", hash(token), userId, purpose.name(),
                Timestamp.from(clock.instant().plus(ttl)));
        return token;
    }

    /** The user the token is for, if it is one of ours for this purpose, unexpired and unused; it is used up now. */
    public Optional<String> use(String token, Purpose purpose) {
        if (token == null || token.length() != 43) {
            return Optional.empty();
        }
        String hash = hash(token);
        Timestamp now = Timestamp.from(clock.instant());
        Optional<String> user = db.execute().namedGet("account-token", hash, purpose.name(), now)
                .map(row -> row.column("user_id").get(String.class));
        // the delete decides: of two requests with the same token, only one removes the row
        if (user.isEmpty() || db.execute().namedDelete("use-account-token", hash, purpose.name(), now) != 1) {
            return Optional.empty();
        }
        return user;
    }

    /** The user the token is for, if it works now, without using it up. */
    public Optional<String> peek(String token, Purpose purpose) {
        if (token == null || token.length() != 43) {
            return Optional.empty();
        }
        return db.execute().namedGet("account-token", hash(token), purpose.name(), Timestamp.from(clock.instant()))
                .map(row -> row.column("user_id").get(String.class));
    }

    /** Every unused token of the user for this purpose stops working. */
    public void dropAll(String userId, Purpose purpose) {
        db.execute().namedDelete("drop-account-tokens", userId, purpose.name());
    }

    /** Removes expired tokens; how many. */
    public int expire() {
        return (int) db.execute().namedDelete("expire-account-tokens", Timestamp.from(clock.instant()));
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
