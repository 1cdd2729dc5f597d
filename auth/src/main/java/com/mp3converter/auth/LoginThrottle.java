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
 * Failed logins per account and per client address in a sliding window; over the limit, logins are
 * refused with the time to wait. Per replica (in memory): N replicas allow up to N times the limit.
 */
public final class LoginThrottle {
    private final Clock clock;
    private final Duration window;
    private final int perAccount;
    private final int perAddress;
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

    public LoginThrottle(Clock clock, Duration window, int perAccount, int perAddress) {
        this.clock = clock;
        this.window = window;
        this.perAccount = perAccount;
        this.perAddress = perAddress;
    }

    /** How long to wait before trying again, when this account or address is over its limit. */
    public Optional<Duration> blocked(String account, String address) {
        Instant now = clock.instant();
        return wait("a:" + account, perAccount, now).or(() -> wait("ip:" + address, perAddress, now));
    }

    public void failed(String account, String address) {
        Instant now = clock.instant();
        record("a:" + account, now);
        record("ip:" + address, now);
        if (failures.size() > 100_000) {
            failures.entrySet().removeIf(e -> expire(e.getValue(), now).isEmpty());
        }
    }

    public void succeeded(String account) {
        failures.remove("a:" + account);
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
            Duration left = Duration.between(now, times.peekFirst().plus(window));
            return Optional.of(left.isNegative() ? Duration.ofSeconds(1) : left);
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
        while (!times.isEmpty() && !times.peekFirst().plus(window).isAfter(now)) {
            times.pollFirst();
        }
        return times;
    }
}
