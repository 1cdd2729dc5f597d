package com.mp3converter.common.stream;

import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.NoOffsetException;
import com.rabbitmq.stream.OffsetSpecification;

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

    public static Consumer onSuperStream(Environment environment, String superStream, String name, Handler handler) {
        return build(environment.consumerBuilder().superStream(superStream), name, handler);
    }

    public static Consumer onStream(Environment environment, String stream, String name, Handler handler) {
        return build(environment.consumerBuilder().stream(stream), name, handler);
    }

    private static Consumer build(com.rabbitmq.stream.ConsumerBuilder builder, String name, Handler handler) {
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
                    handler.handle(EventMessage.from(message), context.stream(), context.offset());
                    context.storeOffset();
                    ConsumerMetrics.handled(name, context.stream(), context.offset(), context.committedChunkId());
                })
                .build();
    }
}
