package com.mp3converter.gateway;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

import com.mongodb.client.gridfs.GridFSBucket;
import com.mongodb.client.gridfs.GridFSUploadStream;
import com.mongodb.client.gridfs.model.GridFSUploadOptions;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.http.Slots;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.StallGuard;
import com.mp3converter.common.token.TokenClaims;
import com.mp3converter.common.tracing.Tracing;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;
import com.mp3converter.gateway.jobs.OutboxRelay;
import com.mp3converter.gateway.upload.MediaSniffer;
import com.mp3converter.gateway.upload.MultipartReader;

import io.opentelemetry.api.trace.SpanKind;

import org.bson.BsonObjectId;
import org.bson.Document;
import org.bson.types.ObjectId;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /upload}: one multipart file part streamed straight into GridFS (never whole in memory,
 * never a second copy on disk), sniffed and measured on the way; any refusal or cut-off removes
 * the GridFS file so nothing partial stays. While it arrives the upload is recorded with the resumable ones (it
 * counts against the quota, and the housekeeping removes the bytes of one whose gateway died). Then the job is
 * stored with its outbox entry and the relay publishes {@code video.uploaded}: once 202 is answered the job cannot
 * be lost.
 */
public final class UploadService implements HttpService {
    private static final Logger LOG = Logger.getLogger(UploadService.class.getName());
    /** An option field's value: a title of 200 characters in UTF-8 fits. */
    private static final int MAX_FIELD_BYTES = 1024;
    private static final int MAX_NAME_CHARS = 255;
    /** What a multipart body may carry besides the file: boundaries, part headers, the option fields. */
    private static final long MULTIPART_OVERHEAD = 64 * 1024;

    private final Caller caller;
    private final JobStore jobs;
    private final IdempotencyKeys keys;
    private final ResumableUploads uploads;
    private final MongoConnection mongo;
    private final OutboxRelay<Job> relay;
    private final UploadPolicy policy;
    private final Clock clock;
    private final Supplier<String> jobIds;
    private final Transfers transfers;

    UploadService(Caller caller, JobStore jobs, IdempotencyKeys keys, ResumableUploads uploads,
                  MongoConnection mongo, OutboxRelay<Job> relay, UploadPolicy policy, Clock clock,
                  Supplier<String> jobIds, Transfers transfers) {
        this.jobIds = jobIds;
        this.transfers = transfers;
        this.caller = caller;
        this.jobs = jobs;
        this.keys = keys;
        this.uploads = uploads;
        this.mongo = mongo;
        this.relay = relay;
        this.policy = policy;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/upload", this::upload);
    }

    private void upload(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.verified(req);
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > policy.maxBytes() + MULTIPART_OVERHEAD) {
            throw refused(413, "too-large", "Upload too large",
                    "the upload is " + declared + " bytes; the limit is " + policy.maxBytes() + " bytes");
        }
        String boundary = MultipartReader.boundary(req.headers().contentType().map(t -> t.text()).orElse(null))
                .orElseThrow(() -> refused(415, "not-multipart", "Not a multipart upload",
                        "send the video as multipart/form-data with a 'file' part: curl -F 'file=@video.mkv' ..."));
        String userId = claims.userId();
        Optional<IdempotencyKeys.Reservation> reservation = idempotencyKey(req)
                .map(key -> keys.reserve(userId, key, id -> jobs.find(id).isPresent()));
        if (reservation.isPresent() && !(reservation.get() instanceof IdempotencyKeys.Reserved)) {
            Job job = jobs.findOwned(reservation.get().jobId(), userId)
                    .filter(found -> reservation.get() instanceof IdempotencyKeys.Replay)
                    .orElseThrow(() -> new ProblemException(409, "idempotency-key-in-use", "Idempotency key in use",
                            "an upload with this Idempotency-Key is in progress; retry in a moment or use a new key"));
            res.status(Status.ACCEPTED_202);
            res.header(HeaderNames.LOCATION, "/jobs/" + job.id());
            res.header(HeaderNames.create("Idempotent-Replayed"), "true");
            Json.send(res, JobViews.accepted(job));
            return;
        }
        Optional<IdempotencyKeys.Reserved> reserved = reservation.map(IdempotencyKeys.Reserved.class::cast);
        String jobId = reserved.map(IdempotencyKeys.Reserved::jobId).orElseGet(jobIds);
        try (Slots.Slot transfer = transfers.start()) {
            ObjectId fileId = new ObjectId();
            // reserved while it arrives: the whole body when its length is known (it bounds the file), else the allowance
            UploadPolicy.Admitted<ResumableUploads.Lock> admitted = policy.admit(userId, Math.max(0, declared - MULTIPART_OVERHEAD),
                    allowance -> uploads.receiving(fileId.toHexString(), jobId, Caller.owner(claims),
                            declared > 0 ? declared : allowance.bytes()));
            Job job = receive(req, boundary, jobId, claims, fileId, admitted, reserved);
            reserved.ifPresent(keys::used);
            GatewayMetrics.uploaded(job.sourceBytes());
            relay.wake();
            res.status(Status.ACCEPTED_202);
            res.header(HeaderNames.LOCATION, "/jobs/" + job.id());
            Json.send(res, JobViews.accepted(job));
        } catch (RuntimeException e) {
            reserved.ifPresent(keys::abandoned);
            throw e;
        }
    }

    private Optional<String> idempotencyKey(ServerRequest req) {
        Optional<String> key = req.headers().first(HeaderNames.create("Idempotency-Key")).map(String::trim);
        if (key.isPresent() && (key.get().isEmpty() || key.get().length() > 200
                || !key.get().chars().allMatch(c -> c > 0x20 && c < 0x7F))) {
            throw Problems.badRequest("Idempotency-Key must be 1 to 200 visible ASCII characters");
        }
        return key;
    }

    private Job receive(ServerRequest req, String boundary, String jobId, TokenClaims claims, ObjectId fileId,
                        UploadPolicy.Admitted<ResumableUploads.Lock> admitted, Optional<IdempotencyKeys.Reserved> key) {
        GridFSBucket videos = mongo.videos();
        ResumableUploads.Lock receiving = admitted.record();
        UploadPolicy.Allowance allowance = admitted.allowance();
        Runnable stillReceiving = () -> {
            if (!uploads.stillReceiving(receiving) || key.isPresent() && !keys.renew(key.get())) {
                throw new ProblemException(503, "upload-interrupted", "Upload interrupted",
                        "the upload could not be recorded for a while and was stopped; send it again").header("Retry-After", "5");
            }
        };
        Map<String, String> fields = new HashMap<>();
        Stored stored = null;
        Events.Options options;
        try (InputStream body = StallGuard.reading(req.content().inputStream())) {
            MultipartReader parts = new MultipartReader(body, boundary);
            for (Optional<MultipartReader.Part> next = parts.next(); next.isPresent(); next = parts.next()) {
                MultipartReader.Part part = next.get();
                switch (part.name()) {
                    case "file" -> {
                        if (stored != null) {
                            throw refused(400, "bad-multipart", "More than one file", "send exactly one 'file' part");
                        }
                        stored = Tracing.inSpan("gateway", "gridfs write videos", SpanKind.CLIENT,
                                MongoConnection.gridFsSpan(MongoConnection.VIDEOS_BUCKET, "gridfs write"),
                                () -> store(videos, fileId, part, jobId, claims, allowance, stillReceiving));
                    }
                    default -> {
                        if (UploadPolicy.isOption(part.name())) {
                            fields.put(part.name(), field(part));
                            UploadPolicy.options(fields); // a bad value before the file is refused before storing it
                        } else {
                            part.body().transferTo(java.io.OutputStream.nullOutputStream());
                        }
                    }
                }
            }
            if (stored == null) {
                throw refused(400, "bad-multipart", "No file", "send the video in a multipart part named 'file'");
            }
            options = UploadPolicy.options(fields);
        } catch (RuntimeException e) {
            removeQuietly(receiving);
            throw e instanceof UncheckedIOException u ? cutOff(u.getCause()) : e;
        } catch (IOException e) {
            removeQuietly(receiving);
            throw cutOff(e);
        }
        Job job = Job.uploaded(jobId, Caller.owner(claims), stored.name(), stored.bytes(),
                fileId.toHexString(), options, Tracing.inject(), clock.instant());
        try {
            jobs.insert(job);
        } catch (RuntimeException e) {
            removeQuietly(receiving);
            throw e;
        }
        uploads.received(receiving);
        return job;
    }

    private record Stored(String name, long bytes) {
    }

    private Stored store(GridFSBucket videos, ObjectId fileId, MultipartReader.Part part, String jobId,
                         TokenClaims claims, UploadPolicy.Allowance allowance, Runnable stillReceiving) throws IOException {
        String name = SourceNames.clean(part.fileName().orElse("upload"), MAX_NAME_CHARS);
        InputStream in = part.body();
        byte[] head = in.readNBytes(MediaSniffer.BYTES_NEEDED);
        if (head.length == 0) {
            drain(in);
            throw refused(400, "empty-file", "Empty file", "the uploaded file '" + name + "' is empty");
        }
        String contentType = MediaSniffer.sniff(head, head.length).orElse(null);
        if (contentType == null) {
            drain(in);
            throw refused(415, "not-media", "Not a media file",
                    "'" + name + "' is not a video or audio container we can read (we look at its bytes, not its name)");
        }
        Document metadata = new Document("owner", claims.userId()).append("jobId", jobId)
                .append("sourceName", name).append("contentType", contentType);
        GridFSUploadStream out = videos.openUploadStream(new BsonObjectId(fileId), name,
                new GridFSUploadOptions().metadata(metadata));
        long total = 0;
        try {
            out.write(head);
            total = head.length;
            byte[] buffer = new byte[256 * 1024];
            long renewed = System.nanoTime();
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
                if (total > allowance.bytes()) {
                    throw allowance.exceeded().get();
                }
                out.write(buffer, 0, n);
                if (System.nanoTime() - renewed > uploads.renewEvery().toNanos()) {
                    stillReceiving.run();
                    renewed = System.nanoTime();
                }
            }
            out.close();
        } catch (IOException | RuntimeException e) {
            out.abort();
            throw e;
        }
        return new Stored(name, total);
    }

    private static String field(MultipartReader.Part part) throws IOException {
        byte[] value = part.body().readNBytes(MAX_FIELD_BYTES + 1);
        if (value.length > MAX_FIELD_BYTES) {
            throw refused(400, "bad-options", "Invalid " + part.name(), "'" + part.name() + "' is longer than "
                    + MAX_FIELD_BYTES + " bytes");
        }
        return new String(value, StandardCharsets.UTF_8);
    }

    private static void drain(InputStream in) {
        try {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the refusal is answered anyway
        }
    }

    private static ProblemException cutOff(Throwable e) {
        if (e instanceof MultipartReader.MalformedMultipartException m) {
            GatewayMetrics.uploadRefused("bad-multipart");
            return new ProblemException(400, "bad-multipart", "Malformed multipart body", m.getMessage());
        }
        GatewayMetrics.uploadRefused("incomplete");
        LOG.fine(() -> "upload cut off: " + e);
        return new ProblemException(400, "incomplete-upload", "Incomplete upload",
                e instanceof EOFException ? e.getMessage() : "the upload was cut off before it ended; nothing was stored");
    }

    private static ProblemException refused(int status, String slug, String title, String detail) {
        return UploadPolicy.refused(status, slug, title, detail);
    }

    /** Removes what a refused or cut upload stored; what cannot be removed now, the housekeeping removes later. */
    private void removeQuietly(ResumableUploads.Lock receiving) {
        try {
            uploads.delete(receiving.upload());
        } catch (RuntimeException e) {
            LOG.warning(() -> "could not remove the partial upload " + receiving.upload().fileId() + ": " + e.getMessage());
        }
    }
}
