package com.mp3converter.auth;

import java.time.Duration;

import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Slots;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
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
    void hashesMadeByPassword4jStillMatch() { // the accounts made before auth hashed with Bouncy Castle
        PasswordHasher hasher = new PasswordHasher(1, Duration.ofSeconds(5));
        String ascii = "$argon2id$v=19$m=19456,t=2,p=1$6S6Gw4whGWCxROANj1nz5Q$WcNepW5LwU97PVvcDWUORNs6DEPWYbirRMHeJE83AAM";
        String unicode = "$argon2id$v=19$m=19456,t=2,p=1$HtyxhdkcyY1TEvNlxKQZgg$xWO9oUgtYjPCy+xmitf5kc8lPHzUgPOZF2yTOrdSktI";
        assertThat(hasher.matches("correct horse battery staple", ascii), is(true));
        assertThat(hasher.matches("correct horse battery stable", ascii), is(false));
        assertThat(hasher.matches("pässwörd ✓ 日本", unicode), is(true));
        assertThat(hasher.hash("correct horse battery staple"), startsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    @Test
    void whatIsNotOurKindOfHashMatchesNothingAndCostsNoHashing() throws Exception {
        PasswordHasher hasher = new PasswordHasher(1, Duration.ofMillis(1));
        try (Slots.Slot held = hasher.hashing().take()) { // a hash would be refused as busy: these must not get that far
            for (String stored : new String[] {null, "", "plain", "$argon2i$v=19$m=19456,t=2,p=1$6S6Gw4whGWCxROANj1nz5Q$WcNepW5LwU97PVvcDWUORNs6DEPWYbirRMHeJE83AAM",
                    "$argon2id$v=19$m=4194304,t=2,p=1$6S6Gw4whGWCxROANj1nz5Q$WcNepW5LwU97PVvcDWUORNs6DEPWYbirRMHeJE83AAM",
                    "$argon2id$v=19$m=19456,t=0,p=1$6S6Gw4whGWCxROANj1nz5Q$WcNepW5LwU97PVvcDWUORNs6DEPWYbirRMHeJE83AAM",
                    "$argon2id$v=19$m=19456,t=2,p=1$6S6Gw4whGWCxROANj1nz5Q$Wc!epW5LwU97PVvcDWUORNs6DEPWYbirRMHeJE83AAM"}) {
                assertThat(String.valueOf(stored), hasher.matches("correct horse battery staple", stored), is(false));
            }
        }
    }

    @Test
    void aCheckBeyondTheConcurrencyWaitsItsTurnThenIsToldToTryAgain() throws Exception {
        PasswordHasher hasher = new PasswordHasher(1, Duration.ofMillis(300));
        String hash = hasher.hash("correct horse battery staple");
        try (Slots.Slot held = hasher.hashing().take()) { // another check is running
            long start = System.nanoTime();
            ProblemException busy = assertThrows(ProblemException.class,
                    () -> hasher.matches("correct horse battery staple", hash));
            assertThat("it waited its turn first", (System.nanoTime() - start) / 1_000_000 >= 300, is(true));
            assertThat(busy.problem().status(), is(503));
            assertThat(busy.headers().get("Retry-After"), is("5"));
            assertThat(busy.problem().detail(), containsString("try again in a few seconds"));
        }
        assertThat("the slot back, checks go on", hasher.matches("correct horse battery staple", hash), is(true));
    }
}
