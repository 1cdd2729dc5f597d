package com.mp3converter.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed logins in a sliding window, counted so that guessing is slow and the account's owner is never locked out:
 * <ul>
 * <li>per client address, over all accounts ({@code perAddress}): an address that guesses too much waits;</li>
 * <li>per account and client address ({@code perAccountAndAddress}): one client guessing one account waits;</li>
 * <li>per account over all addresses ({@code accountUnderAttack}): once an account collects that many failures,
 * a client that already failed on it waits out the window — guessing from many addresses gets one try each —
 * while a client with no failure on it (its owner) logs in at once.</li>
 * </ul>
 * Sign-ups are counted apart: at most {@code signupsPerAddress} from one client address in {@code signupWindow}
 * (accounts cost mail and storage; an address making many is making them for someone).
 * Per replica (in memory): N replicas allow up to N times the limits.
 */
public final class LoginThrottle {
    private final Clock clock;
    private final Limits limits;
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

    /** The window and the three limits. */
    public record Limits(Duration window, int perAddress, int perAccountAndAddress, int accountUnderAttack,
                         int signupsPerAddress, Duration signupWindow) {
    }

    /**
     * Counts a sign-up from this address if it may make one now (counted and checked in one step, so sign-ups at
     * the same moment cannot all pass); else how long until it may.
     */
    public Optional<Duration> signup(String address) {
        Instant now = clock.instant();
        Deque<Instant> times = failures.computeIfAbsent("signup:" + address, k -> new ArrayDeque<>());
        synchronized (times) {
            expire(times, now, limits.signupWindow());
            if (times.size() >= limits.signupsPerAddress()) {
                Duration left = Duration.between(now, times.peekFirst().plus(limits.signupWindow()));
                return Optional.of(left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : left);
            }
            times.addLast(now);
            return Optional.empty();
        }
    }

    public LoginThrottle(Clock clock, Limits limits) {
        this.clock = clock;
        this.limits = limits;
    }

    /** How long this client must wait before it tries this account again, if it must. */
    public Optional<Duration> blocked(String account, String address) {
        Instant now = clock.instant();
        Optional<Duration> wait = wait("ip:" + address, limits.perAddress(), now)
                .or(() -> wait("pair:" + account + "|" + address, limits.perAccountAndAddress(), now));
        if (wait.isPresent() || count("pair:" + account + "|" + address, now) == 0) {
            return wait;
        }
        return wait("account:" + account, limits.accountUnderAttack(), now);
    }

    public void failed(String account, String address) {
        Instant now = clock.instant();
        record("ip:" + address, now);
        record("pair:" + account + "|" + address, now);
        record("account:" + account, now);
        if (failures.size() > 100_000) {
            failures.entrySet().removeIf(e -> expire(e.getValue(), now, e.getKey().startsWith("signup:")
                    ? limits.signupWindow() : limits.window()).isEmpty());
        }
    }

    /** A request that counts against its address only (e.g. a sign-up with a taken address). */
    public void suspicious(String address) {
        record("ip:" + address, clock.instant());
    }

    public void succeeded(String account, String address) {
        failures.remove("pair:" + account + "|" + address);
    }

    private Optional<Duration> wait(String key, int limit, Instant now) {
        Deque<Instant> times = failures.get(key);
        if (times == null) {
            return Optional.empty();
        }
        synchronized (times) {
            expire(times, now);
            if (times.size() < limit) {
                return Optional.empty();
            }
            Duration left = Duration.between(now, times.peekFirst().plus(limits.window()));
            return Optional.of(left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : left);
        }
    }

    private int count(String key, Instant now) {
        Deque<Instant> times = failures.get(key);
        if (times == null) {
            return 0;
        }
        synchronized (times) {
            return expire(times, now).size();
        }
    }

    private void record(String key, Instant now) {
        Deque<Instant> times = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (times) {
            expire(times, now);
            times.addLast(now);
        }
    }

    private Deque<Instant> expire(Deque<Instant> times, Instant now) {
        return expire(times, now, limits.window());
    }

    private static Deque<Instant> expire(Deque<Instant> times, Instant now, Duration window) {
        while (!times.isEmpty() && !times.peekFirst().plus(window).isAfter(now)) {
            times.pollFirst();
        }
        return times;
    }
}
