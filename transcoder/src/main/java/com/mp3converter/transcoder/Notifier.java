package com.mp3converter.transcoder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import com.mp3converter.common.jobs.Job;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.Events;

import io.opentelemetry.context.Context;

/**
 * Publishes a finished job's outcome ({@code mp3.ready} or {@code job.failed}) to mp3.notifications
 * and records on the job that it is confirmed; a redelivered finished job without that record is
 * published again (the mailer keeps one mail per job outcome).
 */
public final class Notifier {
    private final ConfirmedProducer producer;
    private final JobStore jobs;
    private final Clock clock;

    public Notifier(ConfirmedProducer producer, JobStore jobs, Clock clock) {
        this.producer = producer;
        this.jobs = jobs;
        this.clock = clock;
    }

    public void publishOutcome(Job job) throws ConfirmedProducer.PublishException {
        EventMessage.Builder message = switch (job.state()) {
            case DONE -> headers -> EventMessage.of(Events.MP3_READY, job.id(), job.attempts(),
                    new Events.Mp3Ready(job.id(), job.mp3FileId(), job.owner(), job.sourceName(),
                            job.durationSeconds() == null ? 0 : job.durationSeconds(),
                            job.mp3Bytes() == null ? 0 : job.mp3Bytes(), job.finishedAt()), headers);
            case FAILED -> headers -> EventMessage.of(Events.JOB_FAILED, job.id(), job.attempts(),
                    new Events.JobFailed(job.id(), job.owner(), job.sourceName(), job.error(), job.attempts(),
                            job.finishedAt()), headers);
            default -> throw new IllegalStateException("job " + job.id() + " has no outcome yet: " + job.state());
        };
        Instant sent = clock.instant();
        producer.publish(Context.current(), null, message);
        TranscoderMetrics.publishConfirmed(Duration.between(sent, clock.instant()));
        jobs.notificationPublished(job.id());
    }
}
