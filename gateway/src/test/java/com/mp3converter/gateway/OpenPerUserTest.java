package com.mp3converter.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Slots;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Slots per user: the cap holds for one user, not for the next, and under requests that arrive together. */
class OpenPerUserTest {
    private final OpenPerUser slots = new OpenPerUser(2, () -> new ProblemException(429, "full", "Full", "full"));

    @Test
    void oneMoreThanTheCapIsRefusedUntilOneIsGivenBack() {
        Slots.Slot first = slots.open("ann");
        Slots.Slot second = slots.open("ann");
        ProblemException refused = assertThrows(ProblemException.class, () -> slots.open("ann"));
        assertThat(refused.problem().status(), is(429));
        slots.open("bob").close(); // another user's slots are their own
        first.close();
        first.close(); // closed twice: given back once
        Slots.Slot third = slots.open("ann");
        assertThrows(ProblemException.class, () -> slots.open("ann"), "second and third are held");
        third.close();
        second.close();
    }

    @Test
    void slotsAskedForTogetherNeverPassTheCap() throws Exception {
        int tries = 64;
        AtomicInteger held = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (int i = 0; i < tries; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    try (Slots.Slot slot = slots.open("ann")) {
                        mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                        Thread.sleep(5);
                        held.decrementAndGet();
                        return true;
                    } catch (ProblemException refused) {
                        return false;
                    }
                }));
            }
            go.countDown();
            int opened = 0;
            for (Future<Boolean> answer : answers) {
                opened += answer.get() ? 1 : 0;
            }
            assertThat("some were refused, some opened", opened > 0 && opened < tries, is(true));
        }
        assertThat(mostHeld.get() <= 2, is(true));
    }
}
