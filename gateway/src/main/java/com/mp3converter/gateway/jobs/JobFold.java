package com.mp3converter.gateway.jobs;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.stream.EventMessage;

/**
 * How a report on {@code mp3.job-events} changes a job: one pure function, used both for the stored job (by
 * {@link JobEventsFolder}) and for live views (the SSE stream applies the same events to what it last sent).
 * Idempotent: an event at or below the job's folded offset changes nothing, a terminal job keeps its outcome,
 * and an older attempt's start or progress does not overwrite a newer attempt's.
 */
public final class JobFold {
    private JobFold() {
    }

    /** The job after the event at {@code offset}, or empty when the event changes nothing. */
    public static Optional<Job> apply(Job job, EventMessage event, long offset) throws IOException {
        if (offset <= job.foldedOffset()) {
            return Optional.empty();
        }
        Job next = switch (event.type()) {
            case Events.CONVERSION_STARTED -> started(job, event.read(Events.ConversionStarted.class));
            case Events.CONVERSION_PROGRESS -> progress(job, event.read(Events.ConversionProgress.class));
            case Events.CONVERSION_DONE -> done(job, event.read(Events.ConversionDone.class));
            case Events.CONVERSION_FAILED -> failed(job, event.read(Events.ConversionFailed.class));
            case Events.NOTIFICATION_SENT -> sent(job, event.read(Events.NotificationSent.class));
            case Events.NOTIFICATION_FAILED -> notSent(job, event.read(Events.NotificationFailed.class));
            default -> null;
        };
        return Optional.ofNullable(next).map(j -> j.folded(offset));
    }

    private static Job started(Job job, Events.ConversionStarted e) {
        if (job.state().terminal() || e.attempt() < job.attempts()) {
            return null;
        }
        boolean newAttempt = e.attempt() > job.attempts();
        Job started = job.with(JobState.PROCESSING, newAttempt ? 0 : job.progress(), e.attempt(), e.worker(),
                newAttempt ? e.at() : job.startedAt(), e.at());
        return e.mp3BytesReserved() == null ? started : started.reserving(e.mp3BytesReserved());
    }

    private static Job progress(Job job, Events.ConversionProgress e) {
        if (job.state().terminal() || e.attempt() < job.attempts()
                || (e.attempt() == job.attempts() && e.progress() <= job.progress())) {
            return null;
        }
        return job.with(JobState.PROCESSING, Math.min(0.99, e.progress()), e.attempt(), job.worker(), job.startedAt(), e.at());
    }

    private static Job done(Job job, Events.ConversionDone e) {
        if (job.state().terminal()) {
            return null;
        }
        return job.finished(JobState.DONE, new Events.Mp3(e.mp3FileId(), e.mp3Bytes(), e.durationSeconds(),
                        e.warnings() == null ? List.of() : e.warnings()), null,
                Math.max(job.attempts(), e.attempt()), e.at());
    }

    private static Job failed(Job job, Events.ConversionFailed e) {
        if (job.state().terminal()) {
            return null;
        }
        return job.finished(JobState.FAILED, null, e.reason(), Math.max(job.attempts(), e.attempt()), e.at());
    }

    private static Job sent(Job job, Events.NotificationSent e) {
        return job.notifiedAt() != null ? null : job.notified(e.at(), null, job.updatedAt());
    }

    private static Job notSent(Job job, Events.NotificationFailed e) {
        return job.notifiedAt() != null || e.error().equals(job.notificationError()) ? null
                : job.notified(null, e.error(), job.updatedAt());
    }
}
