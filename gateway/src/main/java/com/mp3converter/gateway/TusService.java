package com.mp3converter.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Headers;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.http.Slots;
import com.mp3converter.common.server.StallGuard;
import com.mp3converter.common.token.TokenClaims;
import com.mp3converter.common.tracing.Tracing;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;
import com.mp3converter.gateway.jobs.OutboxRelay;
import com.mp3converter.gateway.upload.MediaSniffer;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Resumable uploads, the tus 1.0.0 protocol at {@code /files/}: the core protocol with the creation,
 * creation-with-upload, termination and expiration extensions. The same limits, quota, sniffing and ownership as
 * {@code POST /upload}; a finished upload becomes a job exactly as one from {@code POST /upload} does.
 */
public final class TusService implements HttpService {
    private static final Logger LOG = Logger.getLogger(TusService.class.getName());
    static final String VERSION = "1.0.0";
    private static final String EXTENSIONS = "creation,creation-with-upload,termination,expiration";
    private static final String OFFSET_STREAM = "application/offset+octet-stream";
    private static final int MAX_NAME_CHARS = 255;
    private static final HeaderName TUS_RESUMABLE = HeaderNames.create("Tus-Resumable");
    private static final HeaderName UPLOAD_OFFSET = HeaderNames.create("Upload-Offset");
    private static final HeaderName UPLOAD_LENGTH = HeaderNames.create("Upload-Length");
    private static final HeaderName UPLOAD_METADATA = HeaderNames.create("Upload-Metadata");
    private static final HeaderName UPLOAD_EXPIRES = HeaderNames.create("Upload-Expires");
    private static final HeaderName METHOD_OVERRIDE = HeaderNames.create("X-HTTP-Method-Override");

    private final Caller caller;
    private final ResumableUploads uploads;
    private final JobStore jobs;
    private final OutboxRelay<Job> relay;
    private final UploadPolicy policy;
    private final Clock clock;
    private final Transfers transfers;

    TusService(Caller caller, ResumableUploads uploads, JobStore jobs, OutboxRelay<Job> relay, UploadPolicy policy,
               Clock clock, Transfers transfers) {
        this.transfers = transfers;
        this.caller = caller;
        this.uploads = uploads;
        this.jobs = jobs;
        this.relay = relay;
        this.policy = policy;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.options("/", this::options)
                .options("/{id}", this::options)
                .post("/", tus(this::create))
                .head("/{id}", tus(this::head))
                .patch("/{id}", tus(this::patch))
                .delete("/{id}", tus(this::terminate))
                .post("/{id}", tus(this::overridden));
    }

    private void options(ServerRequest req, ServerResponse res) {
        res.header(TUS_RESUMABLE, VERSION);
        res.header(HeaderNames.create("Tus-Version"), VERSION);
        res.header(HeaderNames.create("Tus-Extension"), EXTENSIONS);
        res.header(HeaderNames.create("Tus-Max-Size"), Long.toString(policy.maxBytes()));
        res.status(Status.NO_CONTENT_204).send();
    }

    /** Every tus answer, refusals too, says Tus-Resumable; a request for another protocol version is refused. */
    private static Handler tus(Handler handler) {
        return (req, res) -> {
            try {
                String version = req.headers().first(TUS_RESUMABLE).orElse(null);
                if (!VERSION.equals(version)) {
                    throw new ProblemException(412, "tus-version", "Unsupported tus version",
                            "send 'Tus-Resumable: " + VERSION + "' (this server speaks tus " + VERSION + ")")
                            .header("Tus-Version", VERSION);
                }
                res.header(TUS_RESUMABLE, VERSION);
                res.header(HeaderNames.CACHE_CONTROL, "no-store");
                handler.handle(req, res);
            } catch (ProblemException e) {
                throw e.header(TUS_RESUMABLE.defaultCase(), VERSION).header("Cache-Control", "no-store");
            }
        };
    }

    /** Clients whose HTTP library cannot send PATCH (tus-java-client's) send POST with X-HTTP-Method-Override. */
    private void overridden(ServerRequest req, ServerResponse res) throws Exception {
        String method = req.headers().first(METHOD_OVERRIDE).orElse("");
        switch (method.toUpperCase(Locale.ROOT)) {
            case "PATCH" -> patch(req, res);
            case "DELETE" -> terminate(req, res);
            case "HEAD" -> head(req, res);
            default -> throw new ProblemException(405, "method-not-allowed", "Method not allowed",
                    "an upload takes HEAD, PATCH and DELETE; POST creates one at /files/");
        }
    }

    private void create(ServerRequest req, ServerResponse res) throws IOException {
        TokenClaims claims = caller.verified(req);
        if (req.headers().first(HeaderNames.create("Upload-Defer-Length")).isPresent()) {
            throw Problems.badRequest("give the size with Upload-Length: this server does not take uploads of unknown length");
        }
        long length = headerLong(req, UPLOAD_LENGTH, "Upload-Length")
                .orElseThrow(() -> Problems.badRequest("give the upload's size in bytes as Upload-Length"));
        if (length == 0) {
            throw UploadPolicy.refused(400, "empty-file", "Empty file", "an upload of 0 bytes has nothing to convert");
        }
        if (length > policy.maxBytes()) {
            throw UploadPolicy.refused(413, "too-large", "Upload too large",
                    "the upload is " + length + " bytes; the limit is " + policy.maxBytes() + " bytes");
        }
        String rawMetadata = req.headers().first(UPLOAD_METADATA).orElse("");
        Map<String, String> metadata = TusHeaders.metadata(rawMetadata);
        Events.Options options = UploadPolicy.options(metadata);
        String name = SourceNames.clean(metadata.getOrDefault("filename", "upload"), MAX_NAME_CHARS);
        String id = UUID.randomUUID().toString().replace("-", "");
        ResumableUploads.Upload upload = policy.admit(claims.userId(), length, allowance -> uploads.create(id,
                Caller.owner(claims), length, name, options, rawMetadata.isEmpty() ? null : rawMetadata)).record();
        res.header(HeaderNames.LOCATION, "/files/" + id);
        res.header(UPLOAD_EXPIRES, httpDate(upload));
        if (req.headers().contentType().map(t -> t.text().equals(OFFSET_STREAM)).orElse(false)) {
            upload = append(req, claims, upload.id(), 0);
        }
        res.header(UPLOAD_OFFSET, Long.toString(upload.offset()));
        res.status(Status.CREATED_201).send();
    }

    private void head(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.claims(req);
        ResumableUploads.Upload upload = owned(req, claims);
        if (upload.complete() && upload.finishedAt() == null) {
            upload = finish(upload);
        }
        res.header(UPLOAD_OFFSET, Long.toString(upload.offset()));
        res.header(UPLOAD_LENGTH, Long.toString(upload.length()));
        if (upload.metadata() != null) {
            res.header(UPLOAD_METADATA, upload.metadata());
        }
        describe(res, upload);
        res.status(Status.OK_200).send();
    }

    private void patch(ServerRequest req, ServerResponse res) throws IOException {
        TokenClaims claims = caller.claims(req);
        if (!req.headers().contentType().map(t -> t.text().equals(OFFSET_STREAM)).orElse(false)) {
            throw UploadPolicy.refused(415, "not-offset-stream", "Wrong content type",
                    "a PATCH carries the bytes as Content-Type: " + OFFSET_STREAM);
        }
        long offset = headerLong(req, UPLOAD_OFFSET, "Upload-Offset")
                .orElseThrow(() -> Problems.badRequest("give the offset the bytes start at as Upload-Offset (HEAD tells it)"));
        ResumableUploads.Upload upload;
        try (Slots.Slot transfer = transfers.start()) {
            upload = append(req, claims, pathId(req), offset);
        }
        res.header(UPLOAD_OFFSET, Long.toString(upload.offset()));
        describe(res, upload);
        res.status(Status.NO_CONTENT_204).send();
    }

    private void terminate(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.claims(req);
        ResumableUploads.Upload upload = owned(req, claims);
        ResumableUploads.Lock lock = uploads.lock(upload.id(), claims.userId(), upload.offset());
        if (lock.refusal() != null) {
            throw busy(lock);
        }
        uploads.delete(upload);
        res.status(Status.NO_CONTENT_204).send();
    }

    /** Appends the request's body at {@code offset}; the upload becomes a job when its last byte is in. */
    private ResumableUploads.Upload append(ServerRequest req, TokenClaims claims, String id, long offset) throws IOException {
        Optional<ResumableUploads.Upload> finished = uploads.find(id, claims.userId()).filter(u -> u.finishedAt() != null);
        if (finished.isPresent()) { // a client repeating its last PATCH (its 204 was lost): the same answer, nothing done
            if (offset != finished.get().length() || req.headers().contentLength().orElse(0) > 0) {
                throw new ProblemException(409, "offset-mismatch", "Wrong offset", "the upload is complete at byte "
                        + finished.get().length() + "; it takes no more bytes");
            }
            return finished.get();
        }
        ResumableUploads.Lock lock = uploads.lock(id, claims.userId(), offset);
        if (lock.refusal() != null) {
            throw busy(lock);
        }
        ResumableUploads.Upload upload = lock.upload();
        try (InputStream body = StallGuard.reading(req.content().inputStream())) {
            long declared = req.headers().contentLength().orElse(-1);
            if (declared > upload.length() - offset) {
                throw UploadPolicy.refused(413, "too-large", "More bytes than the upload's length",
                        "this PATCH carries " + declared + " bytes; the upload has " + (upload.length() - offset) + " left");
            }
            upload = uploads.append(lock, body, MediaSniffer.BYTES_NEEDED, head -> sniff(lock.upload(), head));
        } catch (IOException | UncheckedIOException e) {
            GatewayMetrics.uploadRefused("incomplete");
            throw new ProblemException(400, "incomplete-upload", "Incomplete upload",
                    "the connection ended before the body did; the bytes received are kept: HEAD tells the offset to resume at");
        } catch (ResumableUploads.LostLockException e) {
            throw new ProblemException(423, "upload-busy", "Upload taken over",
                    "this request stalled and another one is writing to the upload now; HEAD for the offset");
        } finally {
            uploads.release(lock);
        }
        return upload.complete() ? finish(upload) : upload;
    }

    /** The first bytes must be media; if not, the upload is removed with what it stored. */
    private void sniff(ResumableUploads.Upload upload, byte[] head) {
        String contentType = MediaSniffer.sniff(head, head.length).orElseThrow(() -> {
            uploads.delete(upload);
            return UploadPolicy.refused(415, "not-media", "Not a media file", "'" + upload.name()
                    + "' is not a video or audio container we can read (we look at its bytes, not its name); the upload was removed");
        });
        uploads.sniffed(upload.id(), contentType);
    }

    /** The file record, then the job (its id fixed at creation, so a repeat finds it), then the upload marked. */
    private ResumableUploads.Upload finish(ResumableUploads.Upload upload) {
        ResumableUploads.Upload sniffed = uploads.find(upload.id(), upload.owner().userId()).orElse(upload);
        uploads.writeFileRecord(sniffed);
        Job job = Job.uploaded(upload.jobId(), upload.owner(), upload.name(), upload.length(), upload.fileId(),
                upload.options(), Tracing.inject(), clock.instant());
        try {
            jobs.insert(job);
            GatewayMetrics.uploaded(upload.length());
            relay.wake();
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
        }
        Instant finishedAt = uploads.finished(upload.id());
        LOG.fine(() -> "resumable upload " + upload.id() + " became job " + upload.jobId());
        return upload.finished(sniffed.contentType(), finishedAt);
    }

    /** A finished upload links its job; an unfinished one says when it expires. */
    private static void describe(ServerResponse res, ResumableUploads.Upload upload) {
        if (upload.finishedAt() != null) {
            res.header(HeaderNames.LINK, "</jobs/" + upload.jobId() + ">; rel=\"monitor\"");
        } else {
            res.header(UPLOAD_EXPIRES, httpDate(upload));
        }
    }

    private ResumableUploads.Upload owned(ServerRequest req, TokenClaims claims) {
        return uploads.find(pathId(req), claims.userId()).orElseThrow(() -> notFound());
    }

    private static ProblemException busy(ResumableUploads.Lock lock) {
        return switch (lock.refusal()) {
            case NOT_FOUND -> notFound();
            case WRONG_OFFSET -> new ProblemException(409, "offset-mismatch", "Wrong offset",
                    "the upload is at byte " + lock.upload().offset() + ": send Upload-Offset: " + lock.upload().offset());
            case BUSY -> new ProblemException(423, "upload-busy", "Upload in use",
                    "another request is writing to this upload; wait for it to end, then HEAD for the offset");
        };
    }

    private static ProblemException notFound() {
        return Problems.notFound("no such upload (it may have expired or been terminated)");
    }

    private static String pathId(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        if (!id.matches("[0-9a-f]{32}")) {
            throw notFound();
        }
        return id;
    }

    private static Optional<Long> headerLong(ServerRequest req, HeaderName name, String label) {
        return Headers.single(req, name).map(value -> TusHeaders.bytes(label, value));
    }

    private static String httpDate(ResumableUploads.Upload upload) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(upload.expiresAt().atOffset(ZoneOffset.UTC));
    }

    /** One pass: expired uploads go, with their bytes unless they became jobs; complete ones left unfinished finish. */
    int sweep() {
        int removed = 0;
        for (ResumableUploads.Upload upload : uploads.expired(100)) {
            if (upload.complete() && upload.finishedAt() == null) {
                finish(upload);
            } else {
                uploads.delete(upload);
                removed++;
            }
        }
        return removed;
    }
}
