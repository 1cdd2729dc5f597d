package com.mp3converter.gateway;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.mongodb.client.gridfs.GridFSBucket;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.jobs.Job;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.jobs.MongoConnection;
import com.mp3converter.common.token.TokenClaims;

import org.bson.types.ObjectId;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The caller's jobs: {@code GET /jobs} (newest first, paginated), {@code GET /jobs/{id}},
 * {@code DELETE /jobs/{id}}, {@code GET /jobs/{id}/events} (server-sent events until a terminal state)
 * and {@code GET /jobs/{id}/mp3}. Someone else's job is a 404, exactly like an unknown one.
 */
public final class JobService implements HttpService {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Caller caller;
    private final JobStore jobs;
    private final MongoConnection mongo;
    private final Mp3Sender mp3;
    private final Duration eventsPoll;
    private final Duration eventsTimeout;

    public JobService(Caller caller, JobStore jobs, MongoConnection mongo, Mp3Sender mp3, Duration eventsPoll,
                      Duration eventsTimeout) {
        this.caller = caller;
        this.jobs = jobs;
        this.mongo = mongo;
        this.mp3 = mp3;
        this.eventsPoll = eventsPoll;
        this.eventsTimeout = eventsTimeout;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .get("/{id}", this::get)
                .delete("/{id}", this::delete)
                .get("/{id}/events", this::events)
                .get("/{id}/mp3", this::mp3)
                .head("/{id}/mp3", this::mp3);
    }

    private void list(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.claims(req);
        int offset = Problems.intParam(req, "offset", 0, 0, 1_000_000);
        int limit = Problems.intParam(req, "limit", 20, 1, 100);
        List<Map<String, Object>> items = jobs.list(claims.userId(), offset, limit).stream().map(JobViews::full).toList();
        long total = jobs.count(claims.userId());
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("items", items);
        page.put("offset", offset);
        page.put("limit", limit);
        page.put("total", total);
        Map<String, String> links = new LinkedHashMap<>();
        if (offset + limit < total) {
            links.put("next", "/jobs?offset=" + (offset + limit) + "&limit=" + limit);
        }
        if (offset > 0) {
            links.put("prev", "/jobs?offset=" + Math.max(0, offset - limit) + "&limit=" + limit);
        }
        page.put("links", links);
        Json.send(res, page);
    }

    private void get(ServerRequest req, ServerResponse res) {
        Json.send(res, JobViews.full(owned(req)));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Job job = owned(req);
        deleteFile(mongo.videos(), job.videoFileId());
        deleteFile(mongo.mp3s(), job.mp3FileId());
        jobs.delete(job.id());
        res.status(Status.NO_CONTENT_204);
        res.send();
    }

    private void mp3(ServerRequest req, ServerResponse res) {
        Job job = owned(req);
        if (job.mp3ExpiredAt() != null) {
            throw new com.mp3converter.common.http.ProblemException(410, "mp3-expired", "MP3 expired",
                    "the MP3 of job " + job.id() + " was deleted at " + job.mp3ExpiredAt() + "; upload the video again");
        }
        if (job.mp3FileId() == null) {
            throw new com.mp3converter.common.http.ProblemException(409, "not-ready", "MP3 not ready",
                    "job " + job.id() + " is " + job.state() + "; follow /jobs/" + job.id() + "/events");
        }
        mp3.send(req, res, job);
    }

    private void events(ServerRequest req, ServerResponse res) {
        Job job = owned(req);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.create("X-Accel-Buffering"), "no");
        Instant deadline = Instant.now().plus(eventsTimeout);
        String last = null;
        try (OutputStream out = res.outputStream()) {
            while (true) {
                Map<String, Object> view = JobViews.full(job);
                String data = new String(Json.bytes(view), StandardCharsets.UTF_8);
                if (!data.equals(last)) {
                    String kind = job.state().terminal() ? "end" : "state";
                    out.write(("event: " + kind + "\nid: " + job.updatedAt().toEpochMilli() + "\ndata: " + data + "\n\n")
                            .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    last = data;
                }
                if (job.state().terminal() || Instant.now().isAfter(deadline)) {
                    return;
                }
                Thread.sleep(eventsPoll);
                Optional<Job> next = jobs.findOwned(job.id(), job.owner().userId());
                if (next.isEmpty()) {
                    out.write("event: end\ndata: {\"deleted\":true}\n\n".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                job = next.get();
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Job owned(ServerRequest req) {
        TokenClaims claims = caller.claims(req);
        String id = req.path().pathParameters().get("id");
        if (!JOB_ID.matcher(id).matches()) {
            throw Problems.badRequest("'" + (id.length() > 40 ? id.substring(0, 40) + "…" : id) + "' is not a job id");
        }
        return jobs.findOwned(id, claims.userId()).orElseThrow(() -> Problems.notFound("no job " + id));
    }

    static void deleteFile(GridFSBucket bucket, String hexId) {
        if (hexId != null && ObjectId.isValid(hexId)) {
            try {
                bucket.delete(new ObjectId(hexId));
            } catch (com.mongodb.MongoGridFSException alreadyGone) {
                // deleted before
            }
        }
    }
}
