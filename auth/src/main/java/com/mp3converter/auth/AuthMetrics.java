package com.mp3converter.auth;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/** Login outcomes, sign-ups, account events and token rejections by reason, on /metrics. */
public final class AuthMetrics {
    private AuthMetrics() {
    }

    public static void login(String outcome) {
        counter("mp3_auth_logins_total", "Login attempts by outcome", "outcome", outcome).increment();
    }

    public static void signup(String outcome) {
        counter("mp3_auth_signups_total", "Sign-ups by outcome", "outcome", outcome).increment();
    }

    /** Account events: verified, verification-resent, reset-requested, password-reset, password-changed, deleted. */
    public static void account(String event) {
        counter("mp3_auth_account_events_total", "Account events by kind", "event", event).increment();
    }

    public static void tokenRejected(String reason) {
        counter("mp3_token_rejections_total", "Tokens refused by reason", "reason", reason).increment();
    }

    private static Counter counter(String name, String description, String tag, String value) {
        return Metrics.globalRegistry().getOrCreate(Counter.builder(name).description(description)
                .tags(java.util.List.of(Tag.create("service", "auth"), Tag.create(tag, value))));
    }
}
