package com.mp3converter.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Slots;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane), stored in the PHC string format
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}). Unknown users are checked against a dummy hash so a login
 * takes the same time whether or not the account exists. Each hash needs its 19 MiB on the heap while it runs and
 * none after (Bouncy Castle's generator, made per hash; password4j kept a 19 MiB template per parameter set for
 * the life of the process), and at most {@code concurrency} run at once (the others wait their turn, up to
 * {@code wait}, then are told to try again): that, not a large heap, bounds auth's memory.
 */
public final class PasswordHasher {
    private static final int MEMORY_KIB = 19 * 1024;
    private static final int ITERATIONS = 2;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    /** What a stored hash may ask for: more than this would not fit auth's heap, so such a hash matches nothing. */
    private static final int MOST_MEMORY_KIB = 32 * 1024;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,9}),t=(\\d{1,2}),p=1\\$([A-Za-z0-9+/]{11,64})\\$([A-Za-z0-9+/]{22,128})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Slots hashing;
    private final String dummyHash;

    public PasswordHasher(int concurrency, Duration wait) {
        this.hashing = new Slots(concurrency, wait, () -> new ProblemException(503, "busy", "Too many sign-ins at once",
                "too many passwords are being checked right now; try again in a few seconds").header("Retry-After", "5"));
        this.dummyHash = hash("not a real password, only spends the same time");
    }

    public String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = limited(() -> argon2id(password, salt, MEMORY_KIB, ITERATIONS, HASH_BYTES));
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=1$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(hash);
    }

    /** Whether {@code password} is the one {@code stored} was made from; false for anything that is not such a hash. */
    public boolean matches(String password, String stored) {
        Matcher phc = PHC.matcher(stored == null ? "" : stored);
        if (!phc.matches()) {
            return false;
        }
        int memory = Integer.parseInt(phc.group(1));
        int iterations = Integer.parseInt(phc.group(2));
        byte[] salt;
        byte[] expected;
        try {
            salt = Base64.getDecoder().decode(phc.group(3));
            expected = Base64.getDecoder().decode(phc.group(4));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (memory < 8 || memory > MOST_MEMORY_KIB || iterations < 1) {
            return false;
        }
        byte[] actual = limited(() -> argon2id(password, salt, memory, iterations, expected.length));
        return MessageDigest.isEqual(actual, expected);
    }

    private static byte[] argon2id(String password, byte[] salt, int memoryKib, int iterations, int length) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(1).withSalt(salt).build());
        byte[] hash = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), hash);
        return hash;
    }

    /** Spends the time of one verification and returns false. */
    public boolean matchesNobody(String password) {
        matches(password, dummyHash);
        return false;
    }

    /** The hashing slots, for tests. */
    Slots hashing() {
        return hashing;
    }

    private <T> T limited(Supplier<T> work) {
        try (Slots.Slot slot = hashing.take()) {
            return work.get();
        }
    }
}
