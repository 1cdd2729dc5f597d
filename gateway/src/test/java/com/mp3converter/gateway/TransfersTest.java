package com.mp3converter.gateway;

import java.time.Duration;

import com.mp3converter.common.http.Problem;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Slots;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The replica's cap on bodies streaming at once (waiting and giving back: SlotsTest): one more is told to try again. */
class TransfersTest {
    @Test
    void oneMoreThanTheCapIsToldInWordsToTryAgainInAFewSeconds() {
        Transfers transfers = new Transfers(1, Duration.ofMillis(50));
        try (Slots.Slot held = transfers.start()) {
            ProblemException busy = assertThrows(ProblemException.class, transfers::start);
            assertThat(busy.problem().status(), is(503));
            assertThat(busy.problem().type(), is(Problem.TYPE_BASE + "too-busy"));
            assertThat(busy.problem().detail(), containsString("try again in a few seconds"));
            assertThat(busy.headers().get("Retry-After"), is("5"));
        }
        transfers.start().close();
    }
}
