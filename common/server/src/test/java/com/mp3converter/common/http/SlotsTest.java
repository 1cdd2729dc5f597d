package com.mp3converter.common.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SlotsTest {
    private static ProblemException busy() {
        return new ProblemException(503, "too-busy", "Too busy", "try again in a few seconds").header("Retry-After", "5");
    }

    @Test
    void oneMoreThanTheMaxWaitsItsTurnThenIsRefusedWithTheCallersProblem() {
        Slots slots = new Slots(2, Duration.ofMillis(300), SlotsTest::busy);
        try (Slots.Slot first = slots.take(); Slots.Slot second = slots.take()) {
            long start = System.nanoTime();
            ProblemException refused = assertThrows(ProblemException.class, slots::take);
            assertThat("it waited first", (System.nanoTime() - start) / 1_000_000, greaterThanOrEqualTo(300L));
            assertThat(refused.problem().status(), is(503));
            assertThat(refused.headers().get("Retry-After"), is("5"));
        }
        Slots.Slot again = assertDoesNotThrow(slots::take, "the first slot given back");
        Slots.Slot andAgain = assertDoesNotThrow(slots::take, "the second slot given back");
        again.close();
        andAgain.close();
    }

    @Test
    void aSlotClosedTwiceIsGivenBackOnce() {
        Slots slots = new Slots(1, Duration.ofMillis(50), SlotsTest::busy);
        Slots.Slot slot = slots.take();
        slot.close();
        slot.close();
        try (Slots.Slot again = slots.take()) {
            assertThrows(ProblemException.class, slots::take, "still one at most");
        }
    }

    @Test
    void aWaiterGetsTheSlotGivenBackDuringItsWait() throws Exception {
        Slots slots = new Slots(1, Duration.ofSeconds(10), SlotsTest::busy);
        Slots.Slot held = slots.take();
        CompletableFuture<Slots.Slot> waiter = CompletableFuture.supplyAsync(slots::take);
        Thread.sleep(200);
        assertThat("still waiting while the slot is held", waiter.isDone(), is(false));
        held.close();
        waiter.get(5, TimeUnit.SECONDS).close();
    }
}
