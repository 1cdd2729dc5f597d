package com.mp3converter.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobState;

/** The JSON a client sees of a job. */
public final class JobViews {
    private JobViews() {
    }

    public static Map<String, Object> accepted(Job job) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("jobId", job.id());
        view.put("state", job.state());
        view.put("links", links(job));
        return view;
    }

    public static Map<String, Object> full(Job job) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("jobId", job.id());
        view.put("state", job.state());
        view.put("progress", job.progress());
        view.put("sourceName", job.sourceName());
        view.put("sourceBytes", job.sourceBytes());
        view.put("options", job.options());
        view.put("attempts", job.attempts());
        view.put("createdAt", job.createdAt());
        view.put("updatedAt", job.updatedAt());
        putIfSet(view, "startedAt", job.startedAt());
        putIfSet(view, "finishedAt", job.finishedAt());
        putIfSet(view, "mp3", job.mp3());
        putIfSet(view, "error", job.error());
        putIfSet(view, "notifiedAt", job.notifiedAt());
        putIfSet(view, "notificationError", job.notificationError());
        putIfSet(view, "mp3ExpiredAt", job.mp3ExpiredAt());
        view.put("links", links(job));
        return view;
    }

    private static void putIfSet(Map<String, Object> view, String key, Object value) {
        if (value != null) {
            view.put(key, value);
        }
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
