package com.mp3converter.auth;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;

/** Users in the {@code users} table, through the named statements in application.yaml. */
public final class UserStore {
    private final DbClient db;

    public UserStore(DbClient db) {
        this.db = db;
    }

    /** Thrown when the e-mail address is taken. */
    public static final class DuplicateEmailException extends RuntimeException {
        public DuplicateEmailException() {
            super("an account with this e-mail address exists", null, false, false);
        }
    }

    /** A new account; {@code verified} for one whose address needs no check (the bootstrap administrator). */
    public User create(String email, String passwordHash, List<String> roles, boolean verified) {
        String id = UUID.randomUUID().toString();
        try {
            db.execute().namedInsert("insert-user", id, email, EmailAddress.normalize(email), passwordHash,
                    String.join(",", roles), verified ? Timestamp.from(Instant.now()) : null);
        } catch (RuntimeException e) {
            if (duplicate(e)) {
                throw new DuplicateEmailException();
            }
            throw e;
        }
        return byId(id).orElseThrow();
    }

    public Optional<User> byEmail(String email) {
        return db.execute().namedGet("user-by-email", EmailAddress.normalize(email)).map(UserStore::user);
    }

    public Optional<User> byId(String id) {
        return db.execute().namedGet("user-by-id", id).map(UserStore::user);
    }

    public List<User> list(int offset, int limit) {
        return db.execute().namedQuery("list-users", limit, offset).map(UserStore::user).toList();
    }

    /** Disabling also revokes every token issued so far, even once the user is enabled again. */
    public boolean setDisabled(String id, boolean disabled) {
        return db.execute().namedUpdate("set-disabled", disabled, disabled, id) == 1 || byId(id).isPresent();
    }

    /** A user whose tokens issued at or before {@code revokedBefore} are refused. */
    public record Revocation(String userId, Instant revokedBefore) {
    }

    /** Revocations made after {@code since} (of disabled, re-passworded and deleted accounts), oldest first. */
    public List<Revocation> revocationsSince(Instant since) {
        return db.execute().namedQuery("revocations-since", Timestamp.from(since), Timestamp.from(since))
                .map(row -> new Revocation(row.column("id").get(String.class), instant(row.column("revoked_before").get())))
                .toList();
    }

    public boolean setRoles(String id, List<String> roles) {
        return db.execute().namedUpdate("set-roles", String.join(",", roles), id) == 1 || byId(id).isPresent();
    }

    /** A new password; every token issued so far is revoked with the old one. */
    public void setPasswordHash(String id, String hash) {
        db.execute().namedUpdate("set-password-hash", hash, id);
    }

    public void setVerified(String id) {
        db.execute().namedUpdate("set-verified", id);
    }

    /**
     * Deletes the account and what auth keeps of it (its links and account mails); its tokens stay refused until
     * {@code tokensExpire}, by its id alone. True when it existed.
     */
    public boolean delete(String id, Instant tokensExpire) {
        DbTransaction tx = db.transaction();
        try {
            tx.namedInsert("revoke-deleted", id, Timestamp.from(tokensExpire));
            tx.namedDelete("forget-account-tokens", id);
            tx.namedDelete("forget-account", id);
            boolean existed = tx.namedDelete("delete-user", id) == 1;
            tx.commit();
            return existed;
        } catch (RuntimeException e) {
            tx.rollback();
            throw e;
        }
    }

    /** Revocations of deleted accounts whose tokens have all expired by now. */
    public int expireRevocations(Instant now) {
        return (int) db.execute().namedDelete("expire-revoked-accounts", Timestamp.from(now));
    }

    private static User user(DbRow row) {
        return new User(
                row.column("id").get(String.class),
                row.column("email").get(String.class),
                row.column("password_hash").get(String.class),
                Arrays.stream(row.column("roles").get(String.class).split(",")).map(String::trim)
                        .filter(r -> !r.isEmpty()).toList(),
                truthy(row.column("disabled").get()),
                row.column("revoked_before").asOptional().map(UserStore::instant).orElse(null),
                row.column("email_verified_at").asOptional().map(UserStore::instant).orElse(null),
                instant(row.column("created_at").get()),
                instant(row.column("updated_at").get()));
    }

    private static boolean truthy(Object value) {
        return value instanceof Boolean b ? b : value instanceof Number n && n.intValue() != 0;
    }

    static Instant instant(Object value) {
        if (value instanceof Timestamp t) {
            return t.toInstant();
        }
        if (value instanceof LocalDateTime t) {
            return t.toInstant(ZoneOffset.UTC);
        }
        return value instanceof Instant i ? i : null;
    }

    private static boolean duplicate(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLIntegrityConstraintViolationException
                    || t instanceof SQLException s && "23000".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
