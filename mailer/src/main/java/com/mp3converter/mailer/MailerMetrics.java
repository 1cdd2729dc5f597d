package com.mp3converter.mailer;

import java.util.List;

import com.mp3converter.common.server.Histograms;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/** SMTP results by kind and outcome on /metrics. */
public final class MailerMetrics {
    private MailerMetrics() {
    }

    public static void smtpSend(java.time.Duration took, String outcome) {
        Histograms.timer("mp3_smtp_send_seconds", "Time of an SMTP send (connect to accepted or refused)",
                Histograms.SMTP, List.of(Tag.create("service", "mailer"), Tag.create("outcome", outcome))).record(took);
    }

    public static void result(String kind, String outcome) {
        Metrics.globalRegistry().getOrCreate(Counter.builder("mp3_mail_results_total")
                .description("SMTP send attempts by mail kind and outcome (sent, deferred, retried, undeliverable, duplicate)")
                .tags(List.of(Tag.create("service", "mailer"), Tag.create("kind", kind), Tag.create("outcome", outcome))))
                .increment();
    }
}
