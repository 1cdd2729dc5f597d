package com.mp3converter.transcoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mongodb.client.gridfs.GridFSUploadStream;
import com.mongodb.client.gridfs.model.GridFSUploadOptions;
import com.mp3converter.common.jobs.Job;
import com.mp3converter.common.jobs.JobState;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.jobs.MongoConnection;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.Events;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.tracing.Tracing;
import com.mp3converter.transcoder.convert.ConversionException;
import com.mp3converter.transcoder.convert.Mp3Converter;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;

import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Handles one {@code video.uploaded}: claims the job with a lease (kept alive by a heartbeat that also
 * records progress), converts it, stores the MP3 and the outcome, then publishes the outcome. It returns
 * only when the outcome is durable and published, so the consumer stores the offset after that. Permanent
 * failures fail the job at once; transient ones are retried with backoff up to {@code maxAttempts}.
 * A malformed message is logged and skipped: it never blocks its partition.
 */
public final class JobProcessor implements SingleActiveConsumer.Handler {
    private static final Logger LOG = Logger.getLogger(JobProcessor.class.getName());
    private static final Attributes GRIDFS_VIDEOS = Attributes.of(AttributeKey.stringKey("db.system"), "mongodb",
            AttributeKey.stringKey("db.collection.name"), MongoConnection.VIDEOS_BUCKET);
    private static final Attributes GRIDFS_MP3S = Attributes.of(AttributeKey.stringKey("db.system"), "mongodb",
            AttributeKey.stringKey("db.collection.name"), MongoConnection.MP3_BUCKET);

    private final JobStore jobs;
    private final MongoConnection mongo;
    private final Mp3Converter converter;
    private final Notifier notifier;
    private final ScheduledExecutorService heartbeats;
    private final Settings settings;
    private final Clock clock;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();

    /** Lease, retries, temp directory and whether sources are deleted after success. */
    public record Settings(String leaseOwner, Duration lease, int maxAttempts, Duration backoff, Path tempDir,
                           boolean deleteSourceAfterSuccess) {
    }

    public JobProcessor(JobStore jobs, MongoConnection mongo, Mp3Converter converter, Notifier notifier,
                        ScheduledExecutorService heartbeats, Settings settings, Clock clock) {
        this.jobs = jobs;
        this.mongo = mongo;
        this.converter = converter;
        this.notifier = notifier;
        this.heartbeats = heartbeats;
        this.settings = settings;
        this.clock = clock;
    }

    /** From now on no new job is started; the handler thread parks without storing its offset. */
    public void stop() {
        stopping = true;
    }

    /** Waits until no job is being converted, at most {@code timeout}; true when idle. */
    public boolean awaitIdle(Duration timeout) {
        Instant deadline = clock.instant().plus(timeout);
        while (busy.get() > 0 && clock.instant().isBefore(deadline)) {
            sleep(Duration.ofMillis(100));
        }
        return busy.get() == 0;
    }

    @Override
    public void handle(EventMessage event, String stream, long offset) {
        if (!Events.VIDEO_UPLOADED.equals(event.type())) {
            LOG.warning(() -> "skipping a message of type '" + event.type() + "' at " + stream + "@" + offset);
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
            LOG.warning(() -> "skipping a malformed video.uploaded at " + stream + "@" + offset + ": " + e.getMessage());
            return;
        }
        Duration wait = settings.backoff();
        while (true) {
            parkIfStopping();
            SingleActiveConsumer.abortIfInterrupted();
            busy.incrementAndGet();
            try {
                if (process(uploaded.jobId())) {
                    return;
                }
                wait = settings.backoff();
            } catch (MongoException | ConfirmedProducer.PublishException | IOException e) {
                LOG.warning(() -> "job " + uploaded.jobId() + ": " + e.getMessage() + "; trying again");
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "job " + uploaded.jobId() + ": unexpected error; trying again", e);
            } finally {
                busy.decrementAndGet();
            }
            sleep(wait);
            wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : wait.multipliedBy(2);
        }
    }

    /** One pass over the job; true when it is finished and its outcome published. */
    private boolean process(String jobId) throws ConfirmedProducer.PublishException, IOException {
        Optional<Job> current = jobs.find(jobId);
        if (current.isEmpty()) {
            LOG.info(() -> "job " + jobId + " no longer exists (deleted); skipping");
            return true;
        }
        Job job = current.get();
        if (job.state().terminal()) {
            if (job.state() != JobState.CANCELLED && !jobs.notificationPublished(job)) {
                notifier.publishOutcome(job);
            }
            return true;
        }
        Optional<Job> claimed = jobs.claim(jobId, settings.leaseOwner(), settings.lease());
        if (claimed.isEmpty()) {
            LOG.fine(() -> "job " + jobId + " is leased by another transcoder; waiting for it");
            return false;
        }
        job = claimed.get();
        Job finished = convert(job);
        if (finished == null) {
            return false;
        }
        notifier.publishOutcome(finished);
        return true;
    }

    /** Converts a claimed job; the finished job, or null when it must be tried again. */
    private Job convert(Job job) {
        AtomicReference<Double> progress = new AtomicReference<>(0.0);
        ScheduledFuture<?> heartbeat = heartbeats.scheduleAtFixedRate(() -> {
            try {
                jobs.heartbeat(job.id(), settings.leaseOwner(), settings.lease(), progress.get());
            } catch (RuntimeException e) {
                LOG.fine(() -> "heartbeat of " + job.id() + " failed: " + e.getMessage());
            }
        }, 250, Math.max(250, settings.lease().toMillis() / 4), TimeUnit.MILLISECONDS);
        Path work = null;
        Instant started = clock.instant();
        try {
            work = createWorkDir();
            Path source = work.resolve("source");
            Path target = work.resolve("audio.mp3");
            Tracing.inSpan("transcoder", "gridfs read videos", SpanKind.CLIENT, GRIDFS_VIDEOS, () -> {
                download(job, source);
                return null;
            });
            Mp3Converter.Result result = Tracing.inSpan("transcoder", "convert to mp3", SpanKind.INTERNAL,
                    Attributes.of(AttributeKey.stringKey("mp3converter.job.id"), job.id()),
                    () -> converter.convert(source, target,
                            new Mp3Converter.Options(job.options().bitrateKbps(), job.options().vbrQuality()),
                            baseName(job.sourceName()), progress::set));
            heartbeat.cancel(false);
            ObjectId mp3Id = Tracing.inSpan("transcoder", "gridfs write mp3s", SpanKind.CLIENT, GRIDFS_MP3S,
                    () -> upload(job, target, result));
            boolean deleteSource = settings.deleteSourceAfterSuccess();
            boolean recorded = SingleActiveConsumer.evenIfInterrupted(() -> storeOutcome(job, mp3Id, result, deleteSource));
            if (!recorded) {
                LOG.warning(() -> "job " + job.id() + " was taken over or deleted while converting; MP3 discarded");
                return jobs.find(job.id()).filter(j -> j.state().terminal()).orElse(null);
            }
            if (deleteSource && job.videoFileId() != null) {
                try {
                    mongo.videos().delete(new ObjectId(job.videoFileId()));
                } catch (RuntimeException gone) {
                    LOG.fine(() -> "source of " + job.id() + " already deleted");
                }
            }
            TranscoderMetrics.converted(Duration.between(started, clock.instant()), result.durationSeconds(), result.copied());
            TranscoderMetrics.outcome("done");
            LOG.info(() -> "job " + job.id() + " converted: " + String.format("%.2f", result.durationSeconds()) + " s of audio"
                    + (result.copied() ? " (copied)" : "") + " in " + Duration.between(started, clock.instant()).toMillis() + " ms");
            return jobs.find(job.id()).orElse(null);
        } catch (ConversionException e) {
            heartbeat.cancel(false);
            return failedOrRetried(job, e);
        } catch (MongoException | IOException e) {
            heartbeat.cancel(false);
            return failedOrRetried(job, new ConversionException(ConversionException.IO,
                    "storage was unavailable: " + e.getMessage(), false, e));
        } finally {
            heartbeat.cancel(false);
            if (work != null) {
                deleteRecursively(work);
            }
        }
    }

    private Path createWorkDir() throws ConversionException {
        try {
            return Files.createTempDirectory(settings.tempDir(), "job-");
        } catch (IOException e) {
            throw new ConversionException(ConversionException.IO, "no room for temporary files: " + e.getMessage(), false, e);
        }
    }

    /** The job DONE with its MP3, or the MP3 removed again when the job was taken over or deleted meanwhile. */
    private boolean storeOutcome(Job job, ObjectId mp3Id, Mp3Converter.Result result, boolean deleteSource) {
        try {
            if (jobs.done(job.id(), settings.leaseOwner(), mp3Id.toHexString(), result.bytes(), result.durationSeconds(),
                    deleteSource)) {
                return true;
            }
        } catch (MongoException e) {
            mongo.mp3s().delete(mp3Id);
            throw e;
        }
        mongo.mp3s().delete(mp3Id);
        return false;
    }

    private Job failedOrRetried(Job job, ConversionException e) {
        Events.Reason reason = new Events.Reason(e.code(), e.getMessage());
        TranscoderMetrics.failed(e.code());
        if (e.permanent() || job.attempts() >= settings.maxAttempts()) {
            Events.Reason finalReason = e.permanent() ? reason : new Events.Reason("retries-exhausted",
                    "the conversion failed " + job.attempts() + " times for a temporary reason (" + e.getMessage()
                            + "); please upload the file again later");
            if (jobs.failed(job.id(), settings.leaseOwner(), finalReason)) {
                TranscoderMetrics.outcome("failed");
                LOG.info(() -> "job " + job.id() + " failed: " + finalReason.code() + " — " + finalReason.message());
            }
            return jobs.find(job.id()).filter(j -> j.state().terminal()).orElse(null);
        }
        Duration pause = settings.backoff().multipliedBy(1L << Math.min(5, job.attempts() - 1));
        LOG.log(Level.WARNING, "job " + job.id() + " attempt " + job.attempts() + " failed for a temporary reason; "
                + "retrying in " + pause.toSeconds() + " s", e);
        jobs.release(job.id(), settings.leaseOwner(), reason);
        sleep(pause);
        return null;
    }

    private void download(Job job, Path source) throws ConversionException {
        if (job.videoFileId() == null || !ObjectId.isValid(job.videoFileId())) {
            throw ConversionException.permanent(ConversionException.NOT_MEDIA, "the uploaded video is missing", null);
        }
        try (InputStream in = mongo.videos().openDownloadStream(new ObjectId(job.videoFileId())).batchSize(MongoConnection.CHUNKS_PER_BATCH);
             OutputStream out = Files.newOutputStream(source)) {
            in.transferTo(out);
        } catch (com.mongodb.MongoGridFSException e) {
            throw ConversionException.permanent(ConversionException.NOT_MEDIA,
                    "the uploaded video is no longer stored", e);
        } catch (IOException e) {
            throw new ConversionException(ConversionException.IO, "reading the video failed: " + e.getMessage(), false, e);
        }
    }

    private ObjectId upload(Job job, Path mp3, Mp3Converter.Result result) throws IOException {
        ObjectId id = new ObjectId();
        Document metadata = new Document("owner", job.owner().userId()).append("jobId", job.id())
                .append("sourceName", job.sourceName()).append("contentType", "audio/mpeg")
                .append("durationSeconds", result.durationSeconds());
        GridFSUploadStream out = mongo.mp3s().openUploadStream(new org.bson.BsonObjectId(id),
                baseName(job.sourceName()) + ".mp3", new GridFSUploadOptions().metadata(metadata));
        try (InputStream in = Files.newInputStream(mp3)) {
            in.transferTo(out);
            out.close();
        } catch (IOException | RuntimeException e) {
            out.abort();
            throw e;
        }
        return id;
    }

    private void parkIfStopping() {
        while (stopping) {
            sleep(Duration.ofSeconds(1));
        }
    }

    static String baseName(String sourceName) {
        int dot = sourceName.lastIndexOf('.');
        return dot > 0 ? sourceName.substring(0, dot) : sourceName;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
