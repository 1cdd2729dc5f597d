package com.mp3converter.transcoder;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.mp3converter.common.events.Events;

/**
 * Who goes first within a partition of {@code mp3.videos}, a queue that is otherwise first come, first served and
 * held by whatever it converts: a job that would hold others behind it goes to the back of its partition
 * (republished there; the consumer moves on). Two reasons:
 * <ul>
 * <li>its owner had the turn: they have a conversion running, on any transcoder ({@link Conversions#busyElsewhere}),
 * or this partition's last conversion was theirs (which still holds at the instant every partition has just finished
 * one of their equal jobs and they convert nowhere). One user's many jobs then take turns with everyone else's
 * instead of filling every partition;</li>
 * <li>it is long (more sound than {@code longJob}): it goes back once, so the jobs queued behind it go first.</li>
 * </ul>
 * Never in a loop: a job goes back for its owner only if this partition converted something since it last went
 * back (otherwise only such jobs are queued here, and it converts: the platform's capacity is never left idle),
 * and for its length only once. Kept per partition in this process: a partition that moves to another transcoder
 * starts afresh, which can send a job back once more, never without end. What it costs without a look at the queue:
 * k jobs of one owner queued in a partition go back at most k(k-1)/2 times in all (each once per conversion there),
 * k bounded by the gateway's jobs-in-flight quota (20): a few hundred republishes at most, a few ms each.
 */
final class FairShare {
    /** Jobs remembered per partition; older ones are forgotten (the worst: a job goes back once more). */
    private static final int REMEMBERED = 10_000;

    private final Conversions conversions;
    private final Duration longJob;
    private final boolean enabled;
    private final Clock clock;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    /** Why a job goes to the back. */
    enum Reason { OWNER_HAD_TURN, LONG }

    FairShare(Conversions conversions, boolean enabled, Duration longJob, Clock clock) {
        this.conversions = conversions;
        this.enabled = enabled;
        this.longJob = longJob;
        this.clock = clock;
    }

    /**
     * Before an attempt: true when the job goes to the back because its owner had the turn (converts elsewhere now,
     * or converted last in this partition).
     */
    boolean ownerHadTurn(Events.VideoUploaded job, String partition) {
        if (!enabled || job.ownerId() == null) {
            return false;
        }
        Lane lane = lane(partition);
        return lane.mayGoBack(job.jobId())
                && (lane.convertedLast(job.ownerId(), job.jobId())
                        || conversions.busyElsewhere(job.ownerId(), job.jobId(), clock.instant()))
                && lane.wentBack(job.jobId(), Reason.OWNER_HAD_TURN);
    }

    /** Once probed: true when the job goes to the back because it is long and never went back for it. */
    boolean isLong(Events.VideoUploaded job, String partition, double seconds) {
        if (!enabled || seconds <= longJob.toSeconds()) {
            return false;
        }
        Lane lane = lane(partition);
        return !lane.wentBackForLength(job.jobId()) && lane.wentBack(job.jobId(), Reason.LONG);
    }

    /** The job converts here now: it is forgotten, and every job that went back may go back again. */
    void converting(Events.VideoUploaded job, String partition) {
        lane(partition).converting(job.jobId(), job.ownerId());
    }

    private Lane lane(String partition) {
        return lanes.computeIfAbsent(partition, p -> new Lane());
    }

    /** One partition's memory: conversions begun, whose was the last, and when each job that went back did so. */
    private static final class Lane {
        private long conversions;
        private String lastJob;
        private String lastOwner;
        private final Map<String, long[]> back = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
                return size() > REMEMBERED;
            }
        };

        /** Never went back, or something converted here since it did. */
        synchronized boolean mayGoBack(String jobId) {
            long[] went = back.get(jobId);
            return went == null || went[0] != conversions;
        }

        /** The last conversion here was another job of this owner (the same job is retrying its own turn). */
        synchronized boolean convertedLast(String owner, String jobId) {
            return owner.equals(lastOwner) && !jobId.equals(lastJob);
        }

        synchronized boolean wentBackForLength(String jobId) {
            long[] went = back.get(jobId);
            return went != null && went[1] > 0;
        }

        /** Records that the job goes back now; true. */
        synchronized boolean wentBack(String jobId, Reason reason) {
            long[] went = back.computeIfAbsent(jobId, id -> new long[2]);
            went[0] = conversions;
            if (reason == Reason.LONG) {
                went[1] = 1;
            }
            return true;
        }

        synchronized void converting(String jobId, String owner) {
            conversions++;
            lastJob = jobId;
            lastOwner = owner;
            back.remove(jobId);
        }
    }
}
