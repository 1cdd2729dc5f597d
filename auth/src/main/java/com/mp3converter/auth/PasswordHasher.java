package com.mp3converter.auth;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;

/**
 * Argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane). Unknown users are checked against a
 * dummy hash so a login takes the same time whether or not the account exists.
 */
public final class PasswordHasher {
    private static final Argon2Function ARGON2ID = Argon2Function.getInstance(19 * 1024, 2, 1, 32, Argon2.ID);
    private final String dummyHash = hash("not a real password, only spends the same time");

    public String hash(String password) {
        return Password.hash(password).addRandomSalt(16).with(ARGON2ID).getResult();
    }

    public boolean matches(String password, String hash) {
        try {
            return Password.check(password, hash).with(Argon2Function.getInstanceFromHash(hash));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Spends the time of one verification and returns false. */
    public boolean matchesNobody(String password) {
        matches(password, dummyHash);
        return false;
    }
}
