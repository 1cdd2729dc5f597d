package com.mp3converter.common.stream;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.mp3converter.common.tracing.Tracing;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.Producer;
import com.rabbitmq.stream.ProducerBuilder;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * A producer on one stream that waits for the broker's confirm. A <em>named</em> producer deduplicates: the broker
 * drops a message whose publishing id is not above the last one it stored for the name, so a re-send after a crash
 * (with the id recorded before the first send, or derived from the input) is dropped when it already arrived, and
 * ids are handed out and sent under one lock (a lower id sent after a higher one would be lost). An unnamed
 * producer has no such memory: for events whose duplicates the consumer ignores anyway.
 */
public final class ConfirmedProducer implements AutoCloseable {
    private final Producer producer;
    private final String name;
    private final String stream;
    private final String destination;
    private final Duration confirmTimeout;
    private long lastPublishingId = -1;

    private ConfirmedProducer(Environment environment, String stream, String destination, String name,
                              Duration confirmTimeout) {
        ProducerBuilder builder = environment.producerBuilder().stream(stream).confirmTimeout(confirmTimeout)
                .retryOnRecovery(true);
        this.producer = (name == null ? builder : builder.name(name)).build();
        this.name = name;
        this.stream = stream;
        this.destination = destination;
        this.confirmTimeout = confirmTimeout;
    }

    /** A deduplicating producer; {@code destination} names the stream in spans (a super stream for its partitions). */
    public static ConfirmedProducer named(Environment environment, String stream, String destination, String name,
                                          Duration confirmTimeout) {
        return new ConfirmedProducer(environment, stream, destination, name, confirmTimeout);
    }

    public static ConfirmedProducer unnamed(Environment environment, String stream, Duration confirmTimeout) {
        return new ConfirmedProducer(environment, stream, stream, null, confirmTimeout);
    }

    public String name() {
        return name;
    }

    /**
     * Sends in a producer span (child of {@code parent}) whose context the message carries on, and waits for the
     * confirm. {@code publishingId}: the deduplication id of a named producer (null: the next one).
     */
    public void publish(Context parent, Long publishingId, EventMessage.Builder message) throws PublishException {
        Span span = Tracing.tracer("streams").spanBuilder("send " + destination).setSpanKind(SpanKind.PRODUCER)
                .setAttribute("messaging.system", "rabbitmq")
                .setAttribute("messaging.operation.name", "send")
                .setAttribute("messaging.operation.type", "send")
                .setAttribute("messaging.destination.name", destination)
                .setAttribute("messaging.destination.partition.id", stream)
                .setParent(parent).startSpan();
        try (Scope ignored = parent.with(span).makeCurrent()) {
            EventMessage event = message.build(Tracing.inject());
            span.setAttribute("messaging.message.id", event.messageId());
            await(send(event, publishingId));
        } catch (PublishException | RuntimeException e) {
            span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
            throw e;
        } finally {
            span.end();
        }
    }

    /** Sends without waiting (no span): for frequent events that the next one supersedes, such as progress. */
    public CompletableFuture<Long> sendWithoutWaiting(EventMessage event) {
        return send(event, null);
    }

    private synchronized CompletableFuture<Long> send(EventMessage event, Long publishingId) {
        Long id = null;
        if (name != null) {
            id = publishingId == null ? nextId() : publishingId;
            lastPublishingId = Math.max(lastPublishingId, id);
        }
        long confirmedId = id == null ? 0 : id;
        CompletableFuture<Long> confirmed = new CompletableFuture<>();
        producer.send(event.toMessage(producer.messageBuilder(), id), status -> {
            if (status.isConfirmed()) {
                confirmed.complete(confirmedId);
            } else {
                confirmed.completeExceptionally(new PublishException(
                        "message " + event.messageId() + " not confirmed (code " + status.getCode() + ")"));
            }
        });
        return confirmed;
    }

    /** The next publishing id of this named producer; callers that record ids before sending take them here. */
    public synchronized long nextId() {
        if (lastPublishingId < 0) {
            lastPublishingId = Math.max(0, producer.getLastPublishingId());
        }
        return ++lastPublishingId;
    }

    private void await(CompletableFuture<Long> confirmed) throws PublishException {
        try {
            confirmed.get(confirmTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PublishException p ? p : new PublishException(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            throw new PublishException("no confirm within " + confirmTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while waiting for a confirm");
        }
    }

    @Override
    public void close() {
        producer.close();
    }

    /** The broker did not confirm a message: the caller keeps it and tries again later. */
    public static final class PublishException extends Exception {
        public PublishException(String message) {
            super(message);
        }
    }
}
