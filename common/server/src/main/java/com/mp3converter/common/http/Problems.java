package com.mp3converter.common.http;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.common.Weighted;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpFeature;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** Writes problem responses and the common ones every service shares. */
public final class Problems {
    private static final Logger LOG = Logger.getLogger(Problems.class.getName());
    private static final List<HeaderName> WHAT_A_HANDLER_SAID_OF_ITS_ANSWER = List.of(HeaderNames.CONTENT_LENGTH,
            HeaderNames.CONTENT_RANGE, HeaderNames.CONTENT_DISPOSITION, HeaderNames.CONTENT_ENCODING, HeaderNames.ETAG,
            HeaderNames.LAST_MODIFIED, HeaderNames.ACCEPT_RANGES, HeaderNames.CACHE_CONTROL);

    private Problems() {
    }

    /** Error handlers plus a problem+json 404 for every path no service matched. */
    public static void register(HttpRouting.Builder rules) {
        rules.error(ProblemException.class, (req, res, ex) -> send(req, res, ex.problem(), ex))
                .error(IllegalArgumentException.class, (req, res, ex) -> {
                    // a library's words (a URL decoder's, a parser's) are not for the client: ours, and the detail in the log
                    LOG.log(Level.FINE, "malformed request to " + req.path().absolute().path(), ex);
                    send(req, res, Problem.of(400, "bad-request", "Bad request",
                            "the request is malformed (its address, query or headers)"), null);
                })
                .error(UncheckedIOException.class, (req, res, ex) -> {
                    LOG.log(Level.FINE, "connection problem on " + req.path().absolute().path(), ex);
                    send(req, res, Problem.of(400, "bad-request", "Bad request", "the request body could not be read"), null);
                })
                .error(Exception.class, Problems::internal)
                .addFeature(new NotFound());
    }

    /** The last route of all (lowest weight, after the observe endpoints): a problem+json 404. */
    private static final class NotFound implements HttpFeature, Weighted {
        @Override
        public void setup(HttpRouting.Builder routing) {
            routing.any((req, res) -> send(req, res, Problem.of(404, "not-found", "Not found",
                    "no resource at " + req.prologue().method().text() + " " + req.path().absolute().path()), null));
        }

        @Override
        public double weight() {
            return 1;
        }
    }

    /** The one 500: logged with what failed, answered without any of it. */
    public static void internal(ServerRequest req, ServerResponse res, Throwable e) {
        LOG.log(Level.SEVERE, "unexpected error on " + req.prologue().method() + " " + req.path().absolute().path(), e);
        send(req, res, Problem.of(500, "internal", "Internal error", "something went wrong on our side; it has been logged"),
                null);
    }

    /** A backend that cannot be reached: a 503 with Retry-After, in the caller's words. */
    public static void unavailable(ServerRequest req, ServerResponse res, String what) {
        ProblemException unavailable = unavailable(what + " is unavailable right now; try again shortly", 10);
        send(req, res, unavailable.problem(), unavailable);
    }

    public static void send(ServerRequest req, ServerResponse res, Problem problem, ProblemException ex) {
        if (res.isSent()) {
            return;
        }
        res.status(Status.create(problem.status()));
        for (HeaderName described : WHAT_A_HANDLER_SAID_OF_ITS_ANSWER) { // a handler may fail after setting them
            res.headers().remove(described);
        }
        if (ex != null) {
            ex.headers().forEach((name, value) -> res.header(HeaderNames.create(name), value));
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/problem+json");
        res.send(Json.bytes(problem.at(req.path().absolute().path())));
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "bad-request", "Bad request", detail);
    }

    public static ProblemException unauthorized(String detail) {
        return new ProblemException(401, "unauthorized", "Unauthorized", detail)
                .header("WWW-Authenticate", "Bearer realm=\"mp3converter\"");
    }

    public static ProblemException forbidden(String detail) {
        return new ProblemException(403, "forbidden", "Forbidden", detail);
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(404, "not-found", "Not found", detail);
    }

    public static ProblemException unavailable(String detail, int retryAfterSeconds) {
        return new ProblemException(503, "unavailable", "Service unavailable", detail)
                .header("Retry-After", Integer.toString(retryAfterSeconds));
    }

    /** An optional integer query parameter within bounds, or a 400 naming it. */
    public static int intParam(ServerRequest req, String name, int fallback, int min, int max) {
        return intParam(req.query().first(name).asOptional(), name, fallback, min, max);
    }

    static int intParam(Optional<String> raw, String name, int fallback, int min, int max) {
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.get().trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw badRequest("query parameter '" + name + "' must be an integer from " + min + " to " + max);
    }
}
