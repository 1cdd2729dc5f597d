package com.mp3converter.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

import com.mp3converter.common.events.Events;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobState;

/**
 * The job as its owner sees it, made here only: the API answers it, and the outcome events carry it to the mailer
 * and the webhooks, so the links to a job and its MP3 are named in one place.
 */
public final class JobViews {
    private final Mp3Retention retention;

    public JobViews(Mp3Retention retention) {
        this.retention = retention;
    }

    /** The answer to an accepted upload: the job's id, state and links. */
    public static Map<String, Object> accepted(Job job) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("jobId", job.id());
        view.put("state", job.state());
        view.put("links", links(job));
        return view;
    }

    public Events.JobView view(Job job) {
        boolean mp3Kept = job.state() == JobState.DONE && job.mp3() != null && job.mp3ExpiredAt() == null;
        return new Events.JobView(job.id(), job.state().name(), job.progress(), job.sourceName(), job.sourceBytes(),
                job.options(), job.attempts(), job.createdAt(), job.updatedAt(), job.startedAt(), job.finishedAt(),
                job.mp3(), job.error(), mp3Kept ? retention.expiresAt(job.finishedAt()) : null, job.mp3ExpiredAt(),
                job.notifiedAt(), job.notificationError(), links(job));
    }

    /** A terminal job's outcome event: its view, and who to tell. */
    public Events.JobOutcome outcome(Job job) {
        Events.JobView view = view(job);
        return new Events.JobOutcome(job.id(), job.owner(), job.sourceName(), job.state().name(), job.mp3(),
                job.error(), job.attempts(), job.createdAt(), job.finishedAt(), view.mp3ExpiresAt(), view);
    }

    private static Map<String, String> links(Job job) {
        Map<String, String> links = new LinkedHashMap<>();
        links.put("self", "/jobs/" + job.id());
        links.put("events", "/jobs/" + job.id() + "/events");
        if (job.state() == JobState.DONE && job.mp3() != null && job.mp3ExpiredAt() == null) {
            links.put("mp3", "/jobs/" + job.id() + "/mp3");
            links.put("download", "/download?fid=" + job.mp3().fileId());
        }
        return links;
    }
}
