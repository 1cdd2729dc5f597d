package com.mp3converter.gateway.jobs;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.Backoff;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.SingleActiveConsumer;

import org.bson.types.ObjectId;

/**
 * Folds {@code mp3.job-events} into the jobs (single active consumer {@code gateway}, so one replica writes at a
 * time; the version check makes a handover's overlap harmless). Besides the job it keeps the files in step: the
 * source video goes once the job is DONE, and an MP3 whose job is gone or failed is removed. A job that just ended
 * wakes the notice relay.
 */
public final class JobEventsFolder implements SingleActiveConsumer.Handler {
    private static final Logger LOG = Logger.getLogger(JobEventsFolder.class.getName());
    static final String[] TYPES = {Events.CONVERSION_STARTED, Events.CONVERSION_PROGRESS, Events.CONVERSION_DONE,
            Events.CONVERSION_FAILED, Events.NOTIFICATION_SENT, Events.NOTIFICATION_FAILED};

    private final JobStore jobs;
    private final MongoConnection mongo;
    private final Runnable ended;

    /** {@code ended}: called when a job reached DONE or FAILED (its notice is pending). */
    public JobEventsFolder(JobStore jobs, MongoConnection mongo, Runnable ended) {
        this.jobs = jobs;
        this.mongo = mongo;
        this.ended = ended;
    }

    @Override
    public void handle(EventMessage event, String stream, long offset) {
        if (!event.is(TYPES)) {
            LOG.warning(() -> "skipping " + event + " at " + stream + "@" + offset + ": not a job event this gateway reads");
            return;
        }
        Backoff backoff = Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(10));
        while (true) {
            SingleActiveConsumer.abortIfInterrupted();
            try {
                if (fold(event, offset)) {
                    return;
                }
            } catch (IOException e) {
                LOG.warning(() -> "skipping a malformed " + event + " at " + stream + "@" + offset + ": " + e.getMessage());
                return;
            } catch (MongoException e) {
                LOG.warning(() -> "MongoDB unavailable while folding " + event.messageId() + ": " + e.getMessage());
                if (!backoff.pause()) {
                    throw new SingleActiveConsumer.SubscriptionLost();
                }
            }
        }
    }

    /** One try; false when the job changed under us (read again). */
    private boolean fold(EventMessage event, long offset) throws IOException {
        Optional<Job> current = jobs.find(event.jobId());
        if (current.isEmpty()) {
            removeMp3Of(event, null);
            return true;
        }
        Job before = current.get();
        Optional<Job> after = JobFold.apply(before, event, offset);
        if (after.isEmpty()) {
            removeMp3Of(event, before);
            return true;
        }
        Job job = after.get();
        if (job.state().terminal() && before.videoFileId() != null) { // no retry reads it again
            deleteQuietly(mongo, MongoConnection.VIDEOS_BUCKET, before.videoFileId());
        }
        if (!jobs.storeFolded(before, job)) {
            return false;
        }
        if (job.state().terminal() && !before.state().terminal()) {
            ended.run();
        }
        return true;
    }

    /** A conversion.done for a job that is gone, or ended otherwise: its MP3 has no owner to download it. */
    private void removeMp3Of(EventMessage event, Job job) throws IOException {
        if (!event.is(Events.CONVERSION_DONE)) {
            return;
        }
        String mp3 = event.read(Events.ConversionDone.class).mp3FileId();
        if (job == null || job.mp3() == null || !job.mp3().fileId().equals(mp3)) {
            deleteQuietly(mongo, MongoConnection.MP3_BUCKET, mp3);
        }
    }

    /** Deletes a GridFS file; one already gone is fine. */
    public static void deleteQuietly(MongoConnection mongo, String bucket, String hexId) {
        if (hexId == null || !ObjectId.isValid(hexId)) {
            return;
        }
        try {
            (MongoConnection.VIDEOS_BUCKET.equals(bucket) ? mongo.videos() : mongo.mp3s()).delete(new ObjectId(hexId));
        } catch (com.mongodb.MongoGridFSException alreadyGone) {
            // deleted before
        }
    }
}
