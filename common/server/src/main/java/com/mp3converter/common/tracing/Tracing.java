package com.mp3converter.common.tracing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.helidon.config.Config;
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
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * The process's OpenTelemetry: W3C trace context and B3 (multi-header, as Envoy sends it) in and out,
 * spans always recorded so trace ids reach the logs and the stream messages, exported over OTLP/HTTP only
 * when {@code tracing.enabled} is true (the Kubernetes overlays turn it on towards the mesh's collector).
 */
public final class Tracing {
    public static final ContextKey<String> REQUEST_ID = ContextKey.named("x-request-id");
    public static final String REQUEST_ID_HEADER = "x-request-id";
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
    private static volatile OpenTelemetry openTelemetry = OpenTelemetry.noop();
    private static volatile String serviceName = "mp3converter";

    private Tracing() {
    }

    /** Sets up the SDK for this service from {@code tracing.*}. */
    public static void configure(Config config, String service) {
        Config tracing = config.get("tracing");
        SdkTracerProviderBuilder provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), service,
                        AttributeKey.stringKey("service.namespace"), "mp3converter"))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(tracing.get("sampler-ratio").asDouble().orElse(1.0))));
        if (tracing.get("enabled").asBoolean().orElse(false)) {
            String endpoint = tracing.get("otlp-endpoint").asString().orElse("http://localhost:4318");
            provider.addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
                    .setEndpoint(endpoint.endsWith("/v1/traces") ? endpoint : endpoint + "/v1/traces")
                    .setTimeout(Duration.ofSeconds(5)).build()).build());
        }
        SdkTracerProvider tracerProvider = provider.build();
        Runtime.getRuntime().addShutdownHook(new Thread(tracerProvider::close, "tracing-flush"));
        use(OpenTelemetrySdk.builder().setTracerProvider(tracerProvider)
                .setPropagators(ContextPropagators.create(PROPAGATOR)).build(), service);
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
