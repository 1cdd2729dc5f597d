package com.mp3converter.gateway;

import java.time.Duration;

import com.mp3converter.common.http.ProblemException;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The replica's cap on bodies streaming at once: one more waits its time, then a 503; a slot given back serves the next. */
class TransfersTest {
    @Test
    void oneMoreThanTheCapWaitsThenIsToldToTryAgain() {
        Transfers transfers = new Transfers(2, Duration.ofMillis(200));
        OpenPerUser.Slot first = transfers.start();
        OpenPerUser.Slot second = transfers.start();
        long asked = System.nanoTime();
        ProblemException busy = assertThrows(ProblemException.class, transfers::start);
        assertThat("waited for a slot", (System.nanoTime() - asked) / 1_000_000, greaterThanOrEqualTo(200L));
        assertThat(busy.problem().status(), is(503));
        assertThat(busy.headers().get("Retry-After"), is("5"));
        first.close();
        transfers.start().close();
        second.close();
    }

    @Test
    void aSlotGivenBackWhileOneWaitsGoesToIt() throws Exception {
        Transfers transfers = new Transfers(1, Duration.ofSeconds(5));
        OpenPerUser.Slot held = transfers.start();
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            held.close();
        });
        transfers.start().close(); // served once the slot came back, well before the wait ran out
    }
}
