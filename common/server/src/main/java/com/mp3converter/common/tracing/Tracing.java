package com.mp3converter.common.tracing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * The process's OpenTelemetry, configured the standard way: the SDK's autoconfiguration reads the {@code OTEL_*}
 * environment variables (or {@code otel.*} system properties) that every OpenTelemetry tool documents, on top of
 * our defaults: service name from the service, W3C trace context and B3 multi-header (as Envoy sends it), spans
 * always recorded so trace ids reach the logs and the stream messages, and no exporter until one is named
 * ({@code OTEL_TRACES_EXPORTER=otlp}) or an OTLP endpoint is given ({@code OTEL_EXPORTER_OTLP_ENDPOINT}).
 */
public final class Tracing {
    public static final ContextKey<String> REQUEST_ID = ContextKey.named("x-request-id");
    public static final String REQUEST_ID_HEADER = "x-request-id";
    /** The request id on spans: Envoy's x-request-id, which no semantic convention names. */
    public static final AttributeKey<String> REQUEST_ID_ATTRIBUTE = AttributeKey.stringKey("mp3converter.request.id");
    private static final TextMapPropagator PROPAGATOR = TextMapPropagator.composite(
            W3CTraceContextPropagator.getInstance(), B3Propagator.injectingMultiHeaders());
    private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    /** Does nothing with a span; its presence keeps the SDK recording span ids when no exporter is set. */
    private static final SpanProcessor KEEP_IDS = new SpanProcessor() {
        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
        }

        @Override
        public boolean isEndRequired() {
            return false;
        }
    };
    private static volatile OpenTelemetry openTelemetry = OpenTelemetry.noop();
    private static volatile String serviceName = "mp3converter";

    private Tracing() {
    }

    /** Sets up the SDK for this service from the environment's {@code OTEL_*} settings and our defaults. */
    public static void configure(String service) {
        configure(service, System.getenv());
    }

    static void configure(String service, Map<String, String> environment) {
        String[] named = {service};
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults(service, environment))
                // an SDK without span processors hands out invalid spans; ours must be real even when nothing exports
                .addTracerProviderCustomizer((provider, properties) -> provider.addSpanProcessor(KEEP_IDS))
                .addResourceCustomizer((resource, properties) -> {
                    named[0] = resource.getAttribute(AttributeKey.stringKey("service.name"));
                    return resource;
                })
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        Runtime.getRuntime().addShutdownHook(new Thread(sdk::close, "tracing-flush"));
        use(sdk, named[0]);
    }

    /** Ours, where the environment says nothing: the SDK lets OTEL_* variables and otel.* properties win. */
    static Map<String, String> defaults(String service, Map<String, String> environment) {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("otel.service.name", service);
        defaults.put("otel.resource.attributes", "service.namespace=mp3converter");
        defaults.put("otel.propagators", "tracecontext,b3multi");
        defaults.put("otel.traces.sampler", "parentbased_always_on");
        boolean endpointGiven = environment.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
                || environment.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        defaults.put("otel.traces.exporter", endpointGiven ? "otlp" : "none");
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        defaults.put("otel.metrics.exporter", "none"); // metrics are scraped from /metrics
        defaults.put("otel.logs.exporter", "none"); // logs are ECS JSON lines on stdout
        return defaults;
    }

    /** Installs an SDK (tests use one with an in-memory exporter). */
    public static void use(OpenTelemetry sdk, String service) {
        openTelemetry = sdk;
        serviceName = service;
    }

    public static Tracer tracer(String scope) {
        return openTelemetry.getTracer("mp3converter." + scope);
    }

    public static String serviceName() {
        return serviceName;
    }

    /** The SDK in use, for instrumentations (the MongoDB driver's). */
    public static OpenTelemetry openTelemetry() {
        return openTelemetry;
    }

    /** The context carried by these headers (W3C or B3), with the request id when there is one. */
    public static Context extract(Map<String, String> headers) {
        Context context = PROPAGATOR.extract(Context.root(), headers, MAP_GETTER);
        String requestId = headers.get(REQUEST_ID_HEADER);
        return requestId == null ? context : context.with(REQUEST_ID, requestId);
    }

    /** The current context as headers: traceparent/tracestate, B3, and the request id. */
    public static Map<String, String> inject() {
        Map<String, String> headers = new LinkedHashMap<>();
        PROPAGATOR.inject(Context.current(), headers, Map::put);
        String requestId = Context.current().get(REQUEST_ID);
        if (requestId != null) {
            headers.put(REQUEST_ID_HEADER, requestId);
        }
        return headers;
    }

    public static String newRequestId() {
        return UUID.randomUUID().toString();
    }

    /** Runs {@code work} in a span of this kind, child of the current context; errors mark the span. */
    public static <T, E extends Exception> T inSpan(String scope, String name, SpanKind kind, Attributes attributes,
                                                     ThrowingSupplier<T, E> work) throws E {
        Span span = tracer(scope).spanBuilder(name).setSpanKind(kind).setAllAttributes(attributes).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return work.get();
        } catch (Exception | Error e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
            throw e;
        } finally {
            span.end();
        }
    }

    /** A supplier that may throw. */
    @FunctionalInterface
    public interface ThrowingSupplier<T, E extends Exception> {
        T get() throws E;
    }
}
