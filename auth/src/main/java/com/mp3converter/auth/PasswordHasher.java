package com.mp3converter.auth;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.mp3converter.common.http.ProblemException;
import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;

/**
 * Argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane). Unknown users are checked against a
 * dummy hash so a login takes the same time whether or not the account exists. Each hash needs its 19 MiB on the
 * heap, so at most {@code concurrency} run at once (the others wait their turn, up to {@code wait}, then are told
 * to try again): that, not a large heap, bounds auth's memory.
 */
public final class PasswordHasher {
    private static final Argon2Function ARGON2ID = Argon2Function.getInstance(19 * 1024, 2, 1, 32, Argon2.ID);
    private final Semaphore permits;
    private final Duration wait;
    private final String dummyHash;

    public PasswordHasher(int concurrency, Duration wait) {
        this.permits = new Semaphore(concurrency, true);
        this.wait = wait;
        this.dummyHash = hash("not a real password, only spends the same time");
    }

    public String hash(String password) {
        return limited(() -> Password.hash(password).addRandomSalt(16).with(ARGON2ID).getResult());
    }

    public boolean matches(String password, String hash) {
        return limited(() -> {
            try {
                return Password.check(password, hash).with(Argon2Function.getInstanceFromHash(hash));
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    /** Spends the time of one verification and returns false. */
    public boolean matchesNobody(String password) {
        matches(password, dummyHash);
        return false;
    }

    /** The permits, for tests. */
    Semaphore permits() {
        return permits;
    }

    private <T> T limited(Supplier<T> hashing) {
        boolean acquired;
        try {
            acquired = permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) {
            throw new ProblemException(503, "busy", "Too many sign-ins at once",
                    "too many passwords are being checked right now; try again in a few seconds").header("Retry-After", "5");
        }
        try {
            return hashing.get();
        } finally {
            permits.release();
        }
    }
}
