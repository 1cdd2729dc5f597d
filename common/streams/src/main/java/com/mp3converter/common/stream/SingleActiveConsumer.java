package com.mp3converter.common.stream;

import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.NoOffsetException;
import com.rabbitmq.stream.OffsetSpecification;
import com.mp3converter.common.tracing.Tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * A named single active consumer with offsets tracked manually on the server: the handler returns
 * only once its outcome is durable, then the offset is stored. A consumer that becomes active
 * resumes after the stored offset (from the start when none is stored: every handler is idempotent).
 */
public final class SingleActiveConsumer {
    private static final Logger LOG = Logger.getLogger(SingleActiveConsumer.class.getName());

    /** Handles one event; it returns when the outcome is durable and must not throw for a bad message. */
    @FunctionalInterface
    public interface Handler {
        void handle(EventMessage event, String stream, long offset);
    }

    private SingleActiveConsumer() {
    }

    /**
     * Thrown out of a handler whose thread was interrupted: the client interrupts the dispatching thread when
     * it loses the subscription, the offset is then not stored, and the message comes again on the new one.
     */
    public static final class SubscriptionLost extends RuntimeException {
        public SubscriptionLost() {
            super("the subscription was closed while handling a message; it will be redelivered", null, false, false);
        }
    }

    /** Gives up on the current message when the subscription is gone (see {@link SubscriptionLost}). */
    public static void abortIfInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new SubscriptionLost();
        }
    }

    /**
     * Records the outcome of work already done (a mail sent, a file written) even on an interrupted thread,
     * so a redelivery finds it recorded; the interrupt is restored afterwards.
     */
    public static <T> T evenIfInterrupted(java.util.function.Supplier<T> step) {
        boolean interrupted = Thread.interrupted();
        try {
            return step.get();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static Consumer onSuperStream(Environment environment, String superStream, String name, Handler handler) {
        return build(environment.consumerBuilder().superStream(superStream), superStream, name, handler);
    }

    public static Consumer onStream(Environment environment, String stream, String name, Handler handler) {
        return build(environment.consumerBuilder().stream(stream), stream, name, handler);
    }

    private static Consumer build(com.rabbitmq.stream.ConsumerBuilder builder, String destination, String name,
                                  Handler handler) {
        return builder.name(name)
                .singleActiveConsumer()
                // checkInterval ZERO: the client's periodic flush would otherwise store offsets we did not ask for
                .manualTrackingStrategy().checkInterval(Duration.ZERO).builder()
                .consumerUpdateListener(context -> {
                    if (!context.isActive()) {
                        return OffsetSpecification.none();
                    }
                    try {
                        long stored = context.consumer().storedOffset();
                        LOG.info(() -> name + " active on " + context.stream() + ", resuming after offset " + stored);
                        return OffsetSpecification.offset(stored + 1);
                    } catch (NoOffsetException e) {
                        LOG.info(() -> name + " active on " + context.stream() + ", no stored offset: from the start");
                        return OffsetSpecification.first();
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, name + " could not read its stored offset on " + context.stream()
                                + "; replaying from the start (handlers are idempotent)", e);
                        return OffsetSpecification.first();
                    }
                })
                .messageHandler((context, message) -> {
                    EventMessage event = EventMessage.from(message);
                    Span span = Tracing.tracer("streams").spanBuilder("process " + destination)
                            .setParent(Tracing.extract(event.headers()))
                            .setSpanKind(SpanKind.CONSUMER)
                            .setAttribute("messaging.system", "rabbitmq")
                            .setAttribute("messaging.operation.name", "process")
                            .setAttribute("messaging.operation.type", "process")
                            .setAttribute("messaging.destination.name", destination)
                            .setAttribute("messaging.destination.partition.id", context.stream())
                            .setAttribute("messaging.message.id", event.messageId())
                            .setAttribute("messaging.consumer.group.name", name)
                            .setAttribute("messaging.rabbitmq.message.offset", context.offset())
                            .startSpan();
                    Context withRequestId = event.headers().containsKey(Tracing.REQUEST_ID_HEADER)
                            ? Context.current().with(Tracing.REQUEST_ID, event.headers().get(Tracing.REQUEST_ID_HEADER))
                            : Context.current();
                    try (Scope ignored = withRequestId.with(span).makeCurrent()) {
                        handler.handle(event, context.stream(), context.offset());
                    } catch (SubscriptionLost e) {
                        LOG.info(() -> name + " gave up " + event.messageId() + " on " + context.stream() + ": " + e.getMessage());
                        throw e;
                    } finally {
                        span.end();
                    }
                    context.storeOffset();
                    ConsumerMetrics.handled(name, context.stream(), context.offset(), context.committedChunkId());
                })
                .build();
    }
}
