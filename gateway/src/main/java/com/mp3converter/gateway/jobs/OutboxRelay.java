package com.mp3converter.gateway.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.mp3converter.common.server.Backoff;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.tracing.Tracing;
import com.mp3converter.gateway.GatewayMetrics;

/**
 * Publishes what an outbox holds, one message at a time, oldest first, each with a publishing id recorded on its
 * document before it is sent: after a crash the same id is sent again and the broker drops it if it already has it.
 * One message in flight per producer means a lower id is never sent after a higher one (the broker would drop it):
 * every relay has producers of its own. A message is held under a lease while it is sent, so two gateway replicas
 * do not both relay it (one that dies leaves it to the others once the lease expires). Broker down: the messages
 * wait in MongoDB and go out when it is back.
 */
public final class OutboxRelay<T> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class.getName());

    private final MongoOutbox<T> box;
    private final String claimant;
    private final Function<T, ConfirmedProducer> producers;
    private final Function<T, EventMessage.Builder> messages;
    private final Clock clock;
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean running = true;
    private volatile long pending;
    private Thread thread;

    /** {@code producers}: the named producer (this relay's own) a message goes out through; {@code messages}: the message. */
    public OutboxRelay(MongoOutbox<T> box, String claimant, Function<T, ConfirmedProducer> producers,
                       Function<T, EventMessage.Builder> messages, Clock clock) {
        this.box = box;
        this.claimant = claimant;
        this.producers = producers;
        this.messages = messages;
        this.clock = clock;
        GatewayMetrics.outboxPending(box.name(), () -> pending);
    }

    public OutboxRelay start() {
        thread = Thread.ofPlatform().name("outbox-" + box.name()).daemon(true)
                .start(this::run);
        return this;
    }

    /** Something was just added: relay it now rather than at the next poll. */
    public void wake() {
        wake.release();
    }

    private void run() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(10));
        while (running) {
            try {
                boolean all = relayPending();
                backoff.reset();
                if (all) {
                    wake.tryAcquire(2, TimeUnit.SECONDS);
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                LOG.log(Level.WARNING, "outbox " + box.name() + ": " + e.getMessage() + "; retrying in " + backoff.next().toMillis() + " ms");
                if (!backoff.pause()) {
                    return;
                }
            }
        }
    }

    /** Relays one batch; true when nothing more is pending. */
    private boolean relayPending() throws ConfirmedProducer.PublishException {
        List<MongoOutbox.Pending<T>> batch = box.pending(100);
        pending = batch.size();
        for (MongoOutbox.Pending<T> next : batch) {
            if (!running) {
                return false;
            }
            if (box.claim(next.id(), claimant)) {
                try {
                    publish(next);
                } catch (ConfirmedProducer.PublishException | RuntimeException e) {
                    box.unclaim(next.id(), claimant);
                    throw e;
                }
            }
            pending--;
        }
        return batch.size() < 100;
    }

    /** Sends in the trace of what caused the message (the upload, the fold of the outcome, a deletion). */
    private void publish(MongoOutbox.Pending<T> next) throws ConfirmedProducer.PublishException {
        ConfirmedProducer producer = producers.apply(next.item());
        long id = box.publishingId(next.id(), producer.name(), producer.nextId());
        if (id < 0) {
            return; // deleted meanwhile
        }
        Instant sent = clock.instant();
        try {
            producer.publish(Tracing.extract(next.traceHeaders()), id, messages.apply(next.item()));
        } catch (ConfirmedProducer.PublishException | RuntimeException e) {
            GatewayMetrics.publishFailed();
            throw e instanceof ConfirmedProducer.PublishException p ? p
                    : new ConfirmedProducer.PublishException("send failed: " + e.getMessage());
        }
        GatewayMetrics.publishConfirmed(box.name(), Duration.between(sent, clock.instant()));
        box.published(next.id());
        LOG.fine(() -> "published the " + box.name() + " message of " + next.id() + " with id " + id);
    }

    @Override
    public void close() {
        running = false;
        wake();
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
