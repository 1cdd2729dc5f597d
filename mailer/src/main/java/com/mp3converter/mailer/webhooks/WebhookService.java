package com.mp3converter.mailer.webhooks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.mongo.Admissions;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /webhooks}: a user's webhook endpoints and their delivery log. Reached through the gateway, which verifies
 * the caller's token and names the user in {@link Headers#VERIFIED_USER} (the mesh lets only the gateway call this).
 */
public final class WebhookService implements HttpService {
    private static final List<String> EVENTS = List.of(WebhookStore.JOB_DONE, WebhookStore.JOB_FAILED);
    private static final int MAX_BODY = 8192;

    private final WebhookStore store;
    private final WebhookTargets targets;
    private final WebhookSender sender;
    private final WebhookSender.Settings settings;
    private final int maxPerUser;
    private final Duration pingInterval;
    private final Admissions admissions;
    private final InternalCaller internal;
    private final Clock clock;

    public WebhookService(WebhookStore store, WebhookTargets targets, WebhookSender sender,
                          WebhookSender.Settings settings, int maxPerUser, Duration pingInterval, Admissions admissions,
                          InternalCaller internal, Clock clock) {
        this.store = store;
        this.pingInterval = pingInterval;
        this.admissions = admissions;
        this.internal = internal;
        this.clock = clock;
        this.targets = targets;
        this.sender = sender;
        this.settings = settings;
        this.maxPerUser = maxPerUser;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .get("/", this::list)
                .get("/{id}", this::show)
                .delete("/{id}", this::delete)
                .post("/{id}/rotate", this::rotate)
                .post("/{id}/enable", this::enable)
                .post("/{id}/ping", this::ping)
                .get("/{id}/deliveries", this::deliveries);
    }

    private void create(ServerRequest req, ServerResponse res) {
        String owner = owner(req);
        JsonNode body = Json.body(req, MAX_BODY);
        String url = body.path("url").asText(null);
        try {
            targets.check(url);
        } catch (WebhookTargets.RefusedTarget e) {
            throw new ProblemException(400, "bad-webhook-url", "Webhook URL refused", e.getMessage());
        }
        List<String> events = new ArrayList<>();
        if (body.has("events")) {
            if (!body.get("events").isArray() || body.get("events").isEmpty()) {
                throw Problems.badRequest("'events' must be a list of one or more of " + EVENTS);
            }
            for (JsonNode event : body.get("events")) {
                if (!EVENTS.contains(event.asText()) || events.contains(event.asText())) {
                    throw Problems.badRequest("'events' must be a list of one or more of " + EVENTS + ", each once");
                }
                events.add(event.asText());
            }
        } else {
            events.addAll(EVENTS);
        }
        WebhookStore.Endpoint endpoint = inTurn(owner, () -> { // counted and created in one turn of the user's
            if (store.count(owner) >= maxPerUser) {
                throw new ProblemException(409, "too-many-webhooks", "Too many webhooks",
                        "you have " + maxPerUser + " webhook endpoints; delete one first");
            }
            return store.create(owner, url.trim(), events);
        });
        res.status(Status.CREATED_201);
        res.header(HeaderNames.LOCATION, "/webhooks/" + endpoint.id());
        Json.send(res, view(endpoint, true));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Json.send(res, Map.of("items", store.list(owner(req)).stream().map(e -> view(e, false)).toList()));
    }

    private void show(ServerRequest req, ServerResponse res) {
        Json.send(res, view(owned(req), false));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        if (!store.delete(id(req), owner(req))) {
            throw notFound();
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        WebhookStore.Endpoint endpoint = store.rotate(id(req), owner(req), settings.rotationGrace()).orElseThrow(WebhookService::notFound);
        Json.send(res, view(endpoint, true));
    }

    private void enable(ServerRequest req, ServerResponse res) {
        owned(req);
        Json.send(res, view(store.enable(id(req), owner(req)).orElseThrow(WebhookService::notFound), false));
    }

    private void ping(ServerRequest req, ServerResponse res) {
        WebhookStore.Endpoint endpoint = owned(req);
        if (!endpoint.enabled()) {
            throw new ProblemException(409, "webhook-disabled", "Webhook disabled",
                    "the endpoint is disabled (" + endpoint.disabledReason() + "); POST /webhooks/" + endpoint.id() + "/enable first");
        }
        inTurn(endpoint.owner(), () -> {
            Optional<Instant> last = store.lastPing(endpoint.id());
            if (last.isPresent() && last.get().plus(pingInterval).isAfter(clock.instant())) {
                long wait = Math.max(1, Duration.between(clock.instant(), last.get().plus(pingInterval)).toSeconds());
                throw new ProblemException(429, "too-many-pings", "Too many pings",
                        "one test event every " + pingInterval.toSeconds() + " s per endpoint; try again in " + wait + " s")
                        .header("Retry-After", Long.toString(wait));
            }
            sender.ping(endpoint);
            return null;
        });
        res.status(Status.ACCEPTED_202);
        Json.send(res, Map.of("queued", WebhookStore.PING, "deliveries", "/webhooks/" + endpoint.id() + "/deliveries"));
    }

    private void deliveries(ServerRequest req, ServerResponse res) {
        WebhookStore.Endpoint endpoint = owned(req);
        List<Map<String, Object>> items = store.deliveries(endpoint.id(), 100).stream().map(d -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("webhookMessageId", d.messageId());
            view.put("type", d.type());
            view.put("jobId", d.jobId());
            view.put("state", d.state().name());
            view.put("createdAt", d.createdAt());
            if (d.state() == WebhookStore.State.PENDING) {
                view.put("nextAttemptAt", d.nextAttemptAt());
            }
            view.put("attempts", d.attempts());
            return view;
        }).toList();
        Json.send(res, Map.of("items", items));
    }

    private WebhookStore.Endpoint owned(ServerRequest req) {
        return store.find(id(req), owner(req)).orElseThrow(WebhookService::notFound);
    }

    private static Map<String, Object> view(WebhookStore.Endpoint endpoint, boolean withSecret) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", endpoint.id());
        view.put("url", endpoint.url());
        view.put("events", endpoint.events());
        view.put("enabled", endpoint.enabled());
        if (endpoint.disabledReason() != null) {
            view.put("disabledReason", endpoint.disabledReason());
        }
        view.put("createdAt", endpoint.createdAt());
        if (withSecret) {
            view.put("secret", endpoint.secrets().getFirst().value());
            endpoint.secrets().stream().skip(1).findFirst()
                    .ifPresent(previous -> view.put("previousSecretValidUntil", previous.validUntil()));
        }
        view.put("links", Map.of("self", "/webhooks/" + endpoint.id(), "deliveries", "/webhooks/" + endpoint.id() + "/deliveries"));
        return view;
    }

    private <T> T inTurn(String owner, Supplier<T> work) {
        try {
            return admissions.exclusively(owner, work);
        } catch (Admissions.Busy e) {
            throw new ProblemException(503, "busy", "Try again", "another change to your webhooks is under way; try again")
                    .header("Retry-After", "1");
        }
    }

    /** The user the gateway verified; a request without the platform's internal secret names nobody. */
    private String owner(ServerRequest req) {
        if (!internal.calledBy(req)) {
            throw Problems.unauthorized("webhooks are managed through the gateway with a Bearer token");
        }
        return req.headers().first(HeaderNames.create(Headers.VERIFIED_USER)).filter(s -> !s.isBlank())
                .orElseThrow(() -> Problems.unauthorized("webhooks are managed through the gateway with a Bearer token"));
    }

    private static String id(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        if (!id.matches("wh_[0-9a-f]{24}")) {
            throw notFound();
        }
        return id;
    }

    private static ProblemException notFound() {
        return Problems.notFound("no such webhook endpoint");
    }
}
