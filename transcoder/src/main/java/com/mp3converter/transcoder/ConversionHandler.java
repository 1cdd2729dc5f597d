package com.mp3converter.transcoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.mongo.IdempotentGridFs;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.Backoff;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.tracing.Tracing;
import com.mp3converter.transcoder.convert.ConversionException;
import com.mp3converter.transcoder.convert.Mp3Converter;
import com.mp3converter.transcoder.convert.Mp3Output;
import com.mp3converter.transcoder.convert.Source;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;

import org.bson.BsonObjectId;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.ObjectId;

/**
 * Converts the job of one {@code video.uploaded} (single active consumer {@code transcoder} per partition of
 * {@code mp3.videos}) and reports what happened on {@code mp3.job-events}: started, progress (until the outcome
 * is durable), then done or failed. Exactly once in effect without leases: attempts are counted in
 * {@link Conversions} before each try, the MP3 goes to an id derived from the job (a second conversion of the job
 * writes the same file, not a second one), and the outcome goes out through the partition's named producer with
 * the message's offset as publishing id, so a re-sent outcome is dropped by the broker (and by the gateway's fold).
 * It returns only once the outcome is confirmed, so the consumer stores the offset after that.
 */
public final class ConversionHandler implements SingleActiveConsumer.Handler {
    private static final Logger LOG = Logger.getLogger(ConversionHandler.class.getName());

    private final MongoConnection mongo;
    private final Conversions conversions;
    private final FairShare fairShare;
    private final Semaphore slots;
    private final Mp3Converter converter;
    private final Reporter reporter;
    private final ScheduledExecutorService ticker;
    private final Settings settings;
    private final Clock clock;
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean stopping;

    /**
     * The worker's name (reports), attempts, the first backoff, the temp directory, how often progress goes out, how
     * long one attempt may take before it fails the job, whether jobs take turns ({@link FairShare}: by owner, and
     * once for more sound than {@code longJob}), and how many conversions run at once (each takes a core and tens of
     * MB: the partitions this process holds take turns for them).
     */
    public record Settings(String worker, int maxAttempts, Duration backoff, Path tempDir, Duration progressEvery,
                           Duration attemptDeadline, boolean fairShare, Duration longJob, int concurrency) {
    }

    /**
     * Where the reports go: the outcome producer of a partition, the one for started and progress; and where a job
     * goes back to the end of its partition (a named producer on the partition itself).
     */
    public interface Reporter {
        ConfirmedProducer outcomes(String partition);

        ConfirmedProducer progress();

        ConfirmedProducer deferrals(String partition);
    }

    public ConversionHandler(MongoConnection mongo, Mp3Converter converter, Reporter reporter,
                             ScheduledExecutorService ticker, Settings settings, Clock clock) {
        this.mongo = mongo;
        this.conversions = new Conversions(mongo, clock);
        this.fairShare = new FairShare(conversions, settings.fairShare(), settings.longJob(), clock);
        this.slots = new Semaphore(settings.concurrency(), true);
        this.converter = converter;
        this.reporter = reporter;
        this.ticker = ticker;
        this.settings = settings;
        this.clock = clock;
    }

    /** The attempt records' index, and their expiry: a pass that forgets those begun before {@code keep} ago. */
    public IntSupplier recordsExpiry(Duration keep) {
        conversions.createIndexes();
        return () -> conversions.expire(keep);
    }

    /** From now on no new attempt starts; the consumer thread parks without storing its offset. */
    public void stop() {
        stopping = true;
    }

    /** Waits until no job is being converted, at most {@code timeout}; true when idle. */
    public boolean awaitIdle(Duration timeout) {
        Instant deadline = clock.instant().plus(timeout);
        while (busy.get() > 0 && clock.instant().isBefore(deadline)) {
            Backoff.sleep(Duration.ofMillis(100));
        }
        return busy.get() == 0;
    }

    /** The MP3's GridFS id for a job: derived from the job id, so every attempt writes the same file. */
    public static ObjectId mp3Id(String jobId) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(("mp3:" + jobId).getBytes(StandardCharsets.UTF_8));
            return new ObjectId(Arrays.copyOf(hash, 12));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void handle(EventMessage event, String partition, long offset) {
        if (event.is(Events.JOB_DELETED)) {
            forget(event.jobId());
            return;
        }
        if (!event.is(Events.VIDEO_UPLOADED)) {
            LOG.warning(() -> "skipping " + event + " at " + partition + "@" + offset + ": not a video.uploaded this transcoder reads");
            return;
        }
        Events.VideoUploaded uploaded;
        try {
            uploaded = event.read(Events.VideoUploaded.class);
            if (uploaded.jobId() == null || uploaded.jobId().isBlank()) {
                throw new IOException("no jobId");
            }
        } catch (IOException e) {
            TranscoderMetrics.outcome("malformed");
            LOG.warning(() -> "skipping a malformed video.uploaded at " + partition + "@" + offset + ": " + e.getMessage());
            return;
        }
        Backoff backoff = Backoff.exponential(settings.backoff(), Duration.ofSeconds(30));
        while (true) {
            parkWhileStopping();
            SingleActiveConsumer.abortIfInterrupted();
            busy.incrementAndGet();
            try {
                Conversions.Outcome outcome = conversions.outcome(uploaded.jobId()).orElse(null);
                FairShare.Reason back = outcome == null && fairShare.ownerHadTurn(uploaded, partition)
                        ? FairShare.Reason.OWNER_HAD_TURN : null;
                if (outcome == null && back == null) {
                    slots.acquire();
                    try {
                        outcome = attempt(uploaded, partition).orElse(null);
                    } catch (GoBack e) {
                        back = e.reason;
                    } finally {
                        slots.release();
                    }
                }
                if (back != null) {
                    goBack(event, partition, offset, back);
                    return;
                }
                if (outcome != null) {
                    publish(uploaded.jobId(), outcome, partition, offset);
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SingleActiveConsumer.SubscriptionLost();
            } catch (MongoException | ConfirmedProducer.PublishException e) {
                LOG.warning(() -> "job " + uploaded.jobId() + ": " + e.getMessage() + "; trying again in "
                        + backoff.next().toMillis() + " ms");
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "job " + uploaded.jobId() + ": unexpected error; trying again", e);
            } finally {
                busy.decrementAndGet();
            }
            if (!backoff.pause()) {
                throw new SingleActiveConsumer.SubscriptionLost();
            }
        }
    }

    /** A deleted job: its attempt record goes (it comes behind the job's video.uploaded on the same partition). */
    private void forget(String jobId) {
        Backoff backoff = Backoff.exponential(settings.backoff(), Duration.ofSeconds(30));
        while (true) {
            SingleActiveConsumer.abortIfInterrupted();
            try {
                conversions.forget(jobId);
                TranscoderMetrics.outcome("forgotten");
                return;
            } catch (MongoException e) {
                LOG.warning(() -> "forgetting deleted job " + jobId + ": " + e.getMessage());
                if (!backoff.pause()) {
                    throw new SingleActiveConsumer.SubscriptionLost();
                }
            }
        }
    }

    /**
     * Sends the job to the back of its partition ({@link FairShare}): the same message again, through the partition's
     * named producer with this offset as publishing id, so a re-send after a crash is dropped by the broker. The
     * consumer then moves on; the job comes round again.
     */
    private void goBack(EventMessage event, String partition, long offset, FairShare.Reason reason)
            throws ConfirmedProducer.PublishException {
        reporter.deferrals(partition).publish(Context.current(), offset + 1, headers -> new EventMessage(event.type(),
                event.version(), event.jobId(), event.messageId(), event.body(), headers));
        TranscoderMetrics.wentBack(reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        LOG.info(() -> "job " + event.jobId() + " goes to the back of " + partition + " (" + reason + ")");
    }

    /** Thrown out of an attempt whose probe showed a long job that goes to the back first. */
    private static final class GoBack extends RuntimeException {
        private final FairShare.Reason reason;

        GoBack(FairShare.Reason reason) {
            super(null, null, false, false);
            this.reason = reason;
        }
    }

    /** One counted attempt; its recorded outcome, or empty when a temporary failure leaves attempts to try again. */
    private Optional<Conversions.Outcome> attempt(Events.VideoUploaded job, String partition) {
        int attempt = conversions.beginAttempt(job.jobId(), job.ownerId(), clock.instant().plus(settings.attemptDeadline()));
        if (attempt > settings.maxAttempts()) {
            conversions.endAttempt(job.jobId()); // not converting: its owner's other jobs must not wait for it
            return Optional.of(failed(job, attempt - 1, new Events.Reason("retries-exhausted",
                    "the conversion was interrupted " + (attempt - 1) + " times without finishing; please upload the file "
                            + "again, and if it keeps failing, convert it to a common format (MP4 with AAC sound) first")));
        }
        AtomicReference<Double> progress = new AtomicReference<>(0.0);
        Instant started = clock.instant();
        Path work = null;
        ScheduledFuture<?> ticking = null;
        ScheduledFuture<?> deadline = null;
        try {
            work = Files.createTempDirectory(settings.tempDir(), "job-");
            try (Source source = download(job, work.resolve("source"))) {
                deadline = ticker.schedule(() -> source.cancel(ConversionException.permanent(ConversionException.DEADLINE,
                        "converting took longer than the " + words(settings.attemptDeadline()) + " a job may take", null)),
                        settings.attemptDeadline().minus(Duration.between(started, clock.instant())).toMillis(),
                        TimeUnit.MILLISECONDS);
                Mp3Converter.Probed probed = converter.probe(source, options(job.options()));
                if (fairShare.isLong(job, partition, probed.seconds())) {
                    conversions.giveBackAttempt(job.jobId());
                    throw new GoBack(FairShare.Reason.LONG);
                }
                fairShare.converting(job, partition);
                try (Mp3Converter.Conversion conversion = converter.prepare(probed, baseName(job.sourceName()))) {
                    report(Events.CONVERSION_STARTED, job.jobId(), attempt, new Events.ConversionStarted(job.jobId(), attempt,
                            settings.worker(), clock.instant(), conversion.seconds() > 0 ? conversion.seconds() : null,
                            conversion.mp3BytesAtMost()));
                    ticking = ticker.scheduleAtFixedRate(new ProgressTick(job.jobId(), attempt, progress),
                            settings.progressEvery().toMillis(), settings.progressEvery().toMillis(), TimeUnit.MILLISECONDS);
                    ObjectId mp3 = mp3Id(job.jobId());
                    Mp3Converter.Result result;
                    long bytes;
                    Span writing = gridFsSpan(MongoConnection.MP3_BUCKET, "gridfs write", Context.current());
                    try (IdempotentGridFs.Writer writer = mp3s().open(new BsonObjectId(mp3), conversion.head())) {
                        result = Tracing.inSpan("transcoder", "convert to mp3", SpanKind.INTERNAL,
                                Attributes.of(AttributeKey.stringKey("mp3converter.job.id"), job.jobId()),
                                () -> conversion.run(new GridFsOutput(writer), progress::set));
                        bytes = writer.finish(baseName(job.sourceName()) + ".mp3", new Document("owner", job.ownerId())
                                .append("jobId", job.jobId()).append("sourceName", job.sourceName())
                                .append("contentType", "audio/mpeg").append("durationSeconds", result.durationSeconds()));
                    } finally {
                        writing.end();
                    }
                    double took = Duration.between(started, clock.instant()).toNanos() / 1e9;
                    Conversions.Outcome done = outcome(Events.CONVERSION_DONE, job.jobId(), attempt, new Events.ConversionDone(
                            job.jobId(), attempt, mp3.toHexString(), bytes, result.durationSeconds(), result.sampleRate(),
                            result.channels(), result.copied(), took, clock.instant(), result.warnings()));
                    conversions.recordOutcome(job.jobId(), done);
                    TranscoderMetrics.converted(Duration.between(started, clock.instant()), result.durationSeconds(), result.copied());
                    TranscoderMetrics.outcome("done");
                    LOG.info(() -> "job " + job.jobId() + " converted: " + String.format("%.2f", result.durationSeconds())
                            + " s of audio" + (result.copied() ? " (copied)" : "") + " in " + String.format("%.2f", took) + " s");
                    return Optional.of(done);
                }
            }
        } catch (ConversionException e) {
            TranscoderMetrics.failed(e.code());
            if (e.permanent() || attempt >= settings.maxAttempts()) {
                Events.Reason reason = e.permanent() ? new Events.Reason(e.code(), e.getMessage())
                        : new Events.Reason("retries-exhausted", "the conversion failed " + attempt + " times for a "
                        + "temporary reason (" + e.getMessage() + "); please upload the file again later");
                Conversions.Outcome failed = failed(job, attempt, reason);
                LOG.log(Level.INFO, "job " + job.jobId() + " failed: " + reason.code() + " — " + reason.message(), e);
                return Optional.of(failed);
            }
            LOG.log(Level.WARNING, "job " + job.jobId() + " attempt " + attempt + " failed for a temporary reason", e);
            return Optional.empty();
        } catch (IOException e) {
            TranscoderMetrics.failed(ConversionException.IO);
            LOG.log(Level.WARNING, "job " + job.jobId() + " attempt " + attempt + ": temporary files", e);
            if (attempt >= settings.maxAttempts()) {
                return Optional.of(failed(job, attempt, new Events.Reason("retries-exhausted",
                        "the conversion failed " + attempt + " times for a temporary reason on our side; please upload "
                                + "the file again later")));
            }
            return Optional.empty();
        } finally {
            conversions.endAttempt(job.jobId());
            if (ticking != null) {
                ticking.cancel(false);
            }
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (work != null) {
                deleteRecursively(work);
            }
        }
    }

    /** The job's options as the converter takes them (the gateway checked them; an unknown cover is the default). */
    static Mp3Converter.Options options(Events.Options o) {
        Events.Options options = o == null ? Events.Options.DEFAULT : o;
        Mp3Converter.Cover cover = java.util.Arrays.stream(Mp3Converter.Cover.values())
                .filter(c -> c.name().equalsIgnoreCase(options.cover())).findFirst().orElse(null);
        return new Mp3Converter.Options(options.bitrateKbps(), options.vbrQuality(), options.title(), options.artist(),
                cover, options.loudness(), options.start(), options.end());
    }

    /** A failed outcome, recorded; what the failed attempts wrote of the MP3 goes first (no file without a job). */
    private Conversions.Outcome failed(Events.VideoUploaded job, int attempt, Events.Reason reason) {
        mp3s().delete(new BsonObjectId(mp3Id(job.jobId())));
        Conversions.Outcome failed = outcome(Events.CONVERSION_FAILED, job.jobId(), attempt,
                new Events.ConversionFailed(job.jobId(), attempt, reason, clock.instant()));
        conversions.recordOutcome(job.jobId(), failed);
        TranscoderMetrics.outcome("failed");
        return failed;
    }

    private static Conversions.Outcome outcome(String type, String jobId, int attempt, Object event) {
        return new Conversions.Outcome(type, attempt, Json.bytes(event));
    }

    /** The outcome through the partition's named producer, the offset as publishing id: a re-send is dropped. */
    private void publish(String jobId, Conversions.Outcome outcome, String partition, long offset)
            throws ConfirmedProducer.PublishException {
        Instant sent = clock.instant();
        reporter.outcomes(partition).publish(Context.current(), offset + 1, headers -> outcome.message(jobId, headers));
        TranscoderMetrics.publishConfirmed(Duration.between(sent, clock.instant()));
    }

    /** Started and progress: sent without waiting, each superseded by the next; a lost one changes nothing. */
    private void report(String type, String jobId, Object key, Object event) {
        reporter.progress().sendWithoutWaiting(EventMessage.of(type, jobId, key, event, Tracing.inject()))
                .exceptionally(e -> {
                    LOG.fine(() -> type + " of " + jobId + " not confirmed: " + e.getMessage());
                    return null;
                });
    }

    /** Sends the progress every {@code progressEvery} while it changes, from the start until the outcome is durable. */
    private final class ProgressTick implements Runnable {
        private final String jobId;
        private final int attempt;
        private final AtomicReference<Double> progress;
        private final Context context = Context.current();
        private double sent;
        private int sequence;

        ProgressTick(String jobId, int attempt, AtomicReference<Double> progress) {
            this.jobId = jobId;
            this.attempt = attempt;
            this.progress = progress;
        }

        @Override
        public void run() {
            double now = progress.get();
            if (now > sent) {
                sent = now;
                try (var ignored = context.makeCurrent()) {
                    report(Events.CONVERSION_PROGRESS, jobId, attempt + "." + ++sequence,
                            new Events.ConversionProgress(jobId, attempt, Math.round(now * 1000) / 1000.0, clock.instant()));
                }
            }
        }
    }

    /** A client span for a whole-file GridFS transfer that runs beside the conversion (its child, not its parent). */
    private static Span gridFsSpan(String bucket, String operation, Context parent) {
        return Tracing.tracer("transcoder").spanBuilder(operation + " " + bucket).setSpanKind(SpanKind.CLIENT)
                .setParent(parent).setAllAttributes(MongoConnection.gridFsSpan(bucket, operation)).startSpan();
    }

    private IdempotentGridFs mp3s() {
        return new IdempotentGridFs(mongo.database(), MongoConnection.MP3_BUCKET);
    }

    /**
     * The uploaded video into the local file {@code file}, chunk by chunk from now on while the conversion already
     * reads it (out of order where FFmpeg seeks ahead); a video no longer stored fails the job.
     */
    private Source download(Events.VideoUploaded job, Path file) throws ConversionException, IOException {
        if (job.videoFileId() == null || !ObjectId.isValid(job.videoFileId())) {
            throw ConversionException.permanent(ConversionException.NOT_MEDIA, "the uploaded video is missing", null);
        }
        ObjectId id = new ObjectId(job.videoFileId());
        Document stored = mongo.database().getCollection(MongoConnection.VIDEOS_BUCKET + ".files")
                .find(Filters.eq("_id", id)).first();
        if (stored == null) {
            throw ConversionException.permanent(ConversionException.NOT_MEDIA,
                    "the uploaded video is no longer stored (the job was deleted?)", null);
        }
        MongoCollection<Document> chunks = mongo.database().getCollection(MongoConnection.VIDEOS_BUCKET + ".chunks");
        Context parent = Context.current();
        return Source.arriving(file, stored.get("length", Number.class).longValue(),
                stored.get("chunkSize", Number.class).intValue(), new Source.Chunks() {
                    @Override
                    public void inOrder(Source.ChunkSink each) throws IOException {
                        Span reading = gridFsSpan(MongoConnection.VIDEOS_BUCKET, "gridfs read", parent);
                        try (MongoCursor<Document> cursor = chunks.find(Filters.eq("files_id", id))
                                .sort(Sorts.ascending("n")).batchSize(MongoConnection.CHUNKS_PER_BATCH).iterator()) {
                            while (cursor.hasNext()) {
                                Document chunk = cursor.next();
                                if (!each.accept(chunk.getInteger("n"), chunk.get("data", Binary.class).getData())) {
                                    return;
                                }
                            }
                        } finally {
                            reading.end();
                        }
                    }

                    @Override
                    public byte[] one(int n) throws IOException {
                        Document chunk = chunks.find(Filters.and(Filters.eq("files_id", id), Filters.eq("n", n))).first();
                        if (chunk == null) {
                            throw new IOException("chunk " + n + " of " + id + " is missing");
                        }
                        return chunk.get("data", Binary.class).getData();
                    }
                });
    }

    /** The MP3 streamed into GridFS; a failure of MongoDB is kept, so the attempt counts as a temporary failure. */
    private static final class GridFsOutput implements Mp3Output {
        private final IdempotentGridFs.Writer writer;
        private volatile MongoException failure;

        GridFsOutput(IdempotentGridFs.Writer writer) {
            this.writer = writer;
        }

        @Override
        public void append(ByteBuffer bytes) throws IOException {
            try {
                writer.write(bytes);
            } catch (MongoException e) {
                failure = e;
                throw new IOException("the MP3 could not be stored", e);
            }
        }

        @Override
        public void patch(long position, ByteBuffer bytes) {
            writer.patch(position, bytes);
        }

        @Override
        public long size() {
            return writer.position();
        }

        @Override
        public Exception failure() {
            return failure;
        }
    }

    private void parkWhileStopping() {
        while (stopping) {
            Backoff.sleep(Duration.ofSeconds(1));
        }
    }

    /** A limit in words: whole minutes, or seconds below one. */
    private static String words(Duration limit) {
        return limit.toMinutes() > 0 ? limit.toMinutes() + " minutes" : limit.toMillis() / 1000.0 + " seconds";
    }

    static String baseName(String sourceName) {
        int dot = sourceName.lastIndexOf('.');
        return dot > 0 ? sourceName.substring(0, dot) : sourceName;
    }

    private static void deleteRecursively(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warning(() -> "cannot delete temp file " + p);
                }
            });
        } catch (IOException e) {
            LOG.warning(() -> "cannot delete temp dir " + dir);
        }
    }
}
