package com.mp3converter.gateway.jobs;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.logging.Logger;

import com.mp3converter.common.stream.EventMessage;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.OffsetSpecification;

/**
 * This replica's live view of {@code mp3.job-events}: an unnamed consumer from the stream's end that hands each
 * event to whoever follows its job here (the SSE streams), whichever replica folds it into MongoDB.
 */
public final class JobFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobFeed.class.getName());

    /** Receives a job's events as they arrive; must not block. */
    @FunctionalInterface
    public interface Listener {
        void event(EventMessage event, long offset);
    }

    private final Map<String, Set<Listener>> listeners = new ConcurrentHashMap<>();
    private volatile Consumer consumer;

    public void start(Environment environment, String stream) {
        consumer = environment.consumerBuilder().stream(stream).offset(OffsetSpecification.next())
                .messageHandler((context, message) -> {
                    EventMessage event = EventMessage.from(message);
                    Set<Listener> following = listeners.get(event.jobId());
                    if (following != null && event.is(JobEventsFolder.TYPES)) {
                        following.forEach(l -> l.event(event, context.offset()));
                    }
                })
                .build();
        LOG.info(() -> "following " + stream + " for live job views");
    }

    /** Follows one job until the returned handle is closed. */
    public AutoCloseable follow(String jobId, Listener listener) {
        listeners.computeIfAbsent(jobId, id -> new CopyOnWriteArraySet<>()).add(listener);
        return () -> listeners.computeIfPresent(jobId, (id, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close();
        }
    }
}
