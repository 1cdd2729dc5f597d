package com.mp3converter.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.http.Slots;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.token.TokenClaims;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobFeed;
import com.mp3converter.gateway.jobs.JobFold;
import com.mp3converter.gateway.jobs.JobStore;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The caller's jobs: {@code GET /jobs} (newest first, paginated), {@code GET /jobs/{id}},
 * {@code DELETE /jobs/{id}}, {@code GET /jobs/{id}/events} (server-sent events until the job ends) and
 * {@code GET /jobs/{id}/mp3}. Someone else's job is a 404, exactly like an unknown one.
 */
public final class JobService implements HttpService {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Caller caller;
    private final JobStore jobs;
    private final JobViews views;
    private final JobDeleter deleter;
    private final Mp3Sender mp3;
    private final JobFeed feed;
    private final Events events;
    private final OpenPerUser streams;

    /** The event streams' settings: keep-alive, reconnect delay, longest life, most open per user. */
    public record Events(Duration keepAlive, Duration retry, Duration timeout, int maxPerUser) {
    }

    public JobService(Caller caller, JobStore jobs, JobViews views, JobDeleter deleter, Mp3Sender mp3, JobFeed feed,
                      Events events) {
        this.caller = caller;
        this.jobs = jobs;
        this.views = views;
        this.deleter = deleter;
        this.mp3 = mp3;
        this.feed = feed;
        this.events = events;
        this.streams = new OpenPerUser(events.maxPerUser(), () -> new ProblemException(429, "too-many-event-streams",
                "Too many event streams", "you follow " + events.maxPerUser() + " jobs already; close one first")
                .header("Retry-After", "10"));
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
        List<com.mp3converter.common.events.Events.JobView> items = jobs.list(claims.userId(), offset, limit).stream()
                .map(views::view).toList();
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
        Json.send(res, views.view(owned(req)));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        deleter.delete(owned(req));
        res.status(Status.NO_CONTENT_204);
        res.send();
    }

    private void mp3(ServerRequest req, ServerResponse res) {
        mp3.send(req, res, owned(req));
    }

    /**
     * The job now, then each change as the job's events reach this replica (the same fold as the stored job),
     * a comment every {@code keepAlive} (which also re-reads the job, in case an event arrived before this stream
     * followed it), until the job ends. Event ids are the job's position in the event stream: a client that
     * reconnects with {@code Last-Event-ID} gets nothing it has already seen, and 204 (stop reconnecting) once
     * it has seen the end.
     */
    private void events(ServerRequest req, ServerResponse res) {
        Job job = owned(req);
        long seen = lastEventId(req);
        if (job.state().terminal() && eventId(job) <= seen) {
            res.status(Status.NO_CONTENT_204);
            res.send();
            return;
        }
        BlockingQueue<Live> arrived = new LinkedBlockingQueue<>(1024);
        Instant deadline = Instant.now().plus(events.timeout());
        Slots.Slot slot = streams.open(job.owner().userId());
        try (slot; AutoCloseable following = feed.follow(job.id(), (event, offset) -> arrived.offer(new Live(event, offset)));
             SseWriter out = new SseWriter(res, events.retry())) {
            if (eventId(job) > seen) {
                send(out, job);
            }
            while (!job.state().terminal() && Instant.now().isBefore(deadline)) {
                Live live = arrived.poll(events.keepAlive().toMillis(), TimeUnit.MILLISECONDS);
                Optional<Job> next;
                if (live == null) {
                    out.comment("keep-alive");
                    Optional<Job> stored = jobs.find(job.id());
                    if (stored.isEmpty()) {
                        out.event(Long.toString(eventId(job) + 1), "end", "{\"jobId\":\"" + job.id() + "\",\"deleted\":true}");
                        return;
                    }
                    long shown = job.foldedOffset();
                    next = stored.filter(s -> s.foldedOffset() > shown);
                } else {
                    next = JobFold.apply(job, live.event(), live.offset());
                }
                if (next.isPresent()) {
                    job = next.get();
                    send(out, job);
                }
            }
        } catch (IOException | UncheckedIOException | ServerConnectionException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private record Live(EventMessage event, long offset) {
    }

    private void send(SseWriter out, Job job) throws IOException {
        out.event(Long.toString(eventId(job)), job.state().terminal() ? "end" : "state",
                new String(Json.bytes(views.view(job)), StandardCharsets.UTF_8));
    }

    /** The job's position: 0 for a new job, then one past the last job event folded into it. */
    private static long eventId(Job job) {
        return job.foldedOffset() + 1;
    }

    private static long lastEventId(ServerRequest req) {
        try {
            return req.headers().first(HeaderNames.create("Last-Event-ID")).map(String::trim).map(Long::parseLong).orElse(-1L);
        } catch (NumberFormatException e) {
            return -1;
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
}
