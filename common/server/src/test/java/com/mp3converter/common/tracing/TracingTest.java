package com.mp3converter.common.tracing;

import java.util.Map;

import io.opentelemetry.api.trace.Span;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class TracingTest {

    @Test
    void withoutAnExporterSpansAreStillRealSoTheirIdsReachLogsAndMessages() {
        Tracing.configure("tracing-test", Map.of());
        Span span = Tracing.tracer("test").spanBuilder("work").startSpan();
        try {
            assertThat(span.getSpanContext().isValid(), is(true));
            assertThat(Tracing.serviceName(), is("tracing-test"));
        } finally {
            span.end();
        }
    }

    @Test
    void anOtlpEndpointInTheEnvironmentTurnsTheExporterOn() {
        assertThat(Tracing.defaults("s", Map.of()).get("otel.traces.exporter"), is("none"));
        assertThat(Tracing.defaults("s", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"))
                .get("otel.traces.exporter"), is("otlp"));
    }
}
