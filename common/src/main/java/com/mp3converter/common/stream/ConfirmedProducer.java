package com.mp3converter.common.stream;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.mp3converter.common.tracing.Tracing;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.Producer;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * A named producer on one stream that sends in publishing-id order and waits for the broker's confirm.
 * The broker drops a message whose publishing id is not above the last one it stored for this name,
 * so ids are handed out and sent under one lock: a lower id sent after a higher one would be lost.
 */
public final class ConfirmedProducer implements AutoCloseable {
    private final Producer producer;
    private final String name;
    private final String stream;
    private final Duration confirmTimeout;
    private long lastPublishingId = -1;

    public ConfirmedProducer(Environment environment, String stream, String name, Duration confirmTimeout) {
        this.producer = environment.producerBuilder()
                .stream(stream)
                .name(name)
                .confirmTimeout(confirmTimeout)
                .retryOnRecovery(true)
                .build();
        this.name = name;
        this.stream = stream;
        this.confirmTimeout = confirmTimeout;
    }

    public String name() {
        return name;
    }

    /**
     * Publishes and waits for the confirm, in a producer span (child of {@code parent}) whose context the
     * message carries on; {@code publishingId} null takes the next id.
     */
    public void publish(Context parent, Long publishingId, EventMessage.Builder message) throws PublishException {
        Span span = Tracing.tracer("streams")
                .spanBuilder(stream + " publish").setSpanKind(SpanKind.PRODUCER)
                .setAttribute("messaging.system", "rabbitmq").setAttribute("messaging.operation.type", "publish")
                .setAttribute("messaging.destination.name", stream).setParent(parent).startSpan();
        try (Scope ignored = parent.with(span).makeCurrent()) {
            EventMessage event = message.build(Tracing.inject());
            span.setAttribute("messaging.message.id", event.messageId());
            await(publishingId == null ? send(event) : sendWithId(event, publishingId));
        } catch (PublishException | RuntimeException e) {
            span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
            throw e;
        } finally {
            span.end();
        }
    }

    /** Sends with the next publishing id; the returned future completes when the broker confirms. */
    public synchronized CompletableFuture<Long> send(EventMessage event) {
        if (lastPublishingId < 0) {
            lastPublishingId = Math.max(0, producer.getLastPublishingId());
        }
        long id = ++lastPublishingId;
        return sendWithId(event, id);
    }

    /** Sends with an id chosen by the caller (a re-send after a crash keeps its id so the broker drops it). */
    public synchronized CompletableFuture<Long> sendWithId(EventMessage event, long id) {
        if (lastPublishingId < 0) {
            lastPublishingId = Math.max(0, producer.getLastPublishingId());
        }
        lastPublishingId = Math.max(lastPublishingId, id);
        CompletableFuture<Long> confirmed = new CompletableFuture<>();
        producer.send(event.toMessage(producer.messageBuilder(), id), status -> {
            if (status.isConfirmed()) {
                confirmed.complete(id);
            } else {
                confirmed.completeExceptionally(new PublishException(
                        "message " + event.messageId() + " not confirmed (code " + status.getCode() + ")"));
            }
        });
        return confirmed;
    }

    /** The next id this producer would use; callers that persist ids before sending read it under their own order. */
    public synchronized long reserveId() {
        if (lastPublishingId < 0) {
            lastPublishingId = Math.max(0, producer.getLastPublishingId());
        }
        return ++lastPublishingId;
    }

    /** Blocks until confirmed, or throws {@link PublishException}. */
    public void await(CompletableFuture<Long> confirmed) throws PublishException {
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
