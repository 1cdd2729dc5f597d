package com.mp3converter.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.mp3converter.common.jobs.Job;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.Events;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.tracing.Tracing;
import com.rabbitmq.stream.Environment;

/**
 * Publishes {@code video.uploaded} for every job whose outbox entry is pending, one at a time in
 * creation order, each with a publishing id recorded on the job before it is sent: after a crash the
 * same id is sent again and the broker drops it if it already has it. One message in flight per
 * producer means a lower id is never sent after a higher one (the broker would drop it as a duplicate).
 * Broker down: the jobs wait in MongoDB and go out when it is back.
 */
public final class OutboxRelay implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class.getName());

    private final JobStore jobs;
    private final Environment environment;
    private final StreamSettings streams;
    private final String producerName;
    private final Clock clock;
    private final Semaphore wake = new Semaphore(0);
    private final ConfirmedProducer[] producers;
    private volatile boolean running = true;
    private volatile long pending;
    private Thread thread;

    public OutboxRelay(JobStore jobs, Environment environment, StreamSettings streams, String producerName, Clock clock) {
        this.jobs = jobs;
        this.environment = environment;
        this.streams = streams;
        this.producerName = producerName;
        this.clock = clock;
        this.producers = new ConfirmedProducer[streams.videoPartitions()];
        GatewayMetrics.outboxPending(() -> pending);
    }

    public OutboxRelay start() {
        thread = Thread.ofPlatform().name("outbox-relay").daemon(true).start(this::run);
        return this;
    }

    public void wake() {
        wake.release();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(200);
        while (running) {
            try {
                boolean all = relayPending();
                backoff = Duration.ofMillis(200);
                if (all) {
                    wake.tryAcquire(2, TimeUnit.SECONDS);
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                LOG.log(Level.WARNING, "outbox relay: " + e.getMessage() + "; retrying in " + backoff.toMillis() + " ms");
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
    }

    /** Relays one batch; true when nothing more is pending. */
    private boolean relayPending() throws ConfirmedProducer.PublishException {
        List<Job> batch = jobs.pendingOutbox(100);
        pending = batch.size();
        for (Job job : batch) {
            if (!running) {
                return false;
            }
            publish(job);
            pending--;
        }
        return batch.size() < 100;
    }

    private void publish(Job job) throws ConfirmedProducer.PublishException {
        int partition = Math.floorMod(job.id().hashCode(), producers.length);
        ConfirmedProducer producer = producer(partition);
        long id = jobs.publishingId(job.id(), producer.name(), producer.reserveId());
        if (id < 0) {
            return; // deleted meanwhile
        }
        Events.VideoUploaded event = new Events.VideoUploaded(job.id(), job.videoFileId(), job.owner(), job.sourceName(),
                job.sourceBytes(), job.options(), 1, job.createdAt());
        Instant sent = clock.instant();
        try {
            producer.publish(Tracing.extract(job.traceHeaders()), id,
                    headers -> EventMessage.of(Events.VIDEO_UPLOADED, job.id(), 1, event, headers));
        } catch (ConfirmedProducer.PublishException | RuntimeException e) {
            GatewayMetrics.publishFailed();
            throw e instanceof ConfirmedProducer.PublishException p ? p
                    : new ConfirmedProducer.PublishException("send failed: " + e.getMessage());
        }
        GatewayMetrics.publishConfirmed(Duration.between(sent, clock.instant()));
        jobs.outboxPublished(job.id());
        LOG.fine(() -> "published video.uploaded for job " + job.id() + " with id " + id);
    }

    private ConfirmedProducer producer(int partition) {
        if (producers[partition] == null) {
            producers[partition] = new ConfirmedProducer(environment, streams.videoPartition(partition),
                    producerName + "-" + partition, Duration.ofSeconds(10));
        }
        return producers[partition];
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        for (ConfirmedProducer p : producers) {
            if (p != null) {
                p.close();
            }
        }
    }
}
