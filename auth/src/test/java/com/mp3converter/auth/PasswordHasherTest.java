package com.mp3converter.auth;

import java.time.Duration;

import com.mp3converter.common.http.ProblemException;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Argon2id with a bound on how many hashes run at once (each takes 19 MiB of heap). */
class PasswordHasherTest {
    @Test
    void aHashMatchesItsPasswordOnly() {
        PasswordHasher hasher = new PasswordHasher(1, Duration.ofSeconds(5));
        String hash = hasher.hash("correct horse battery staple");
        assertThat(hasher.matches("correct horse battery staple", hash), is(true));
        assertThat(hasher.matches("correct horse battery stable", hash), is(false));
        assertThat(hasher.matchesNobody("anything"), is(false));
    }

    @Test
    void aCheckBeyondTheConcurrencyWaitsItsTurnThenIsToldToTryAgain() throws Exception {
        PasswordHasher hasher = new PasswordHasher(1, Duration.ofMillis(300));
        String hash = hasher.hash("correct horse battery staple");
        hasher.permits().acquire(); // another check is running
        try {
            long start = System.nanoTime();
            ProblemException busy = assertThrows(ProblemException.class,
                    () -> hasher.matches("correct horse battery staple", hash));
            assertThat("it waited its turn first", (System.nanoTime() - start) / 1_000_000 >= 300, is(true));
            assertThat(busy.problem().status(), is(503));
            assertThat(busy.headers().get("Retry-After"), is("5"));
            assertThat(busy.problem().detail(), containsString("try again in a few seconds"));
        } finally {
            hasher.permits().release();
        }
        assertThat("the permit back, checks go on", hasher.matches("correct horse battery staple", hash), is(true));
    }
}
