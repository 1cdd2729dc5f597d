package com.mp3converter.gateway.jobs;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.stream.EventMessage;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** The fold of job events: what each report does to a job, and what replays and late reports do not. */
class JobFoldTest {
    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
    private final Job queued = Job.uploaded("job-1", new Events.Owner("u", "u@example.com"), "a.mp4", 100,
            "0123456789abcdef01234567", Events.Options.DEFAULT, Map.of(), T);

    @Test
    void startedProgressDoneMoveTheJobOn() throws Exception {
        Job started = fold(queued, Events.CONVERSION_STARTED, new Events.ConversionStarted("job-1", 1, "w", T), 0).orElseThrow();
        assertThat(started.state(), is(JobState.PROCESSING));
        assertThat(started.attempts(), is(1));
        Job halfway = fold(started, Events.CONVERSION_PROGRESS, new Events.ConversionProgress("job-1", 1, 0.5, T), 1).orElseThrow();
        assertThat(halfway.progress(), is(0.5));
        Job done = fold(halfway, Events.CONVERSION_DONE, new Events.ConversionDone("job-1", 1, "abcdefabcdefabcdefabcdef",
                10, 2.0, 44_100, 2, false, 1.0, T, java.util.List.of("no cover: the file's picture could not be read")),
                2).orElseThrow();
        assertThat(done.state(), is(JobState.DONE));
        assertThat("the job view says what the MP3 lacks", done.mp3().warnings(),
                is(java.util.List.of("no cover: the file's picture could not be read")));
        assertThat(done.progress(), is(1.0));
        assertThat(done.mp3().fileId(), is("abcdefabcdefabcdefabcdef"));
        assertThat("the source video is dropped from a DONE job", done.videoFileId(), nullValue());
        assertThat(done.foldedOffset(), is(2L));
        assertThat(done.version(), is(3L));
    }

    @Test
    void theStartReservesTheMp3sBytesAtMostAndTheStoredJobKeepsThem() throws Exception {
        Job started = fold(queued, Events.CONVERSION_STARTED, new Events.ConversionStarted("job-1", 1, "w", T, 600.0,
                14_500_000L), 0).orElseThrow();
        assertThat(started.mp3Reserved(), is(14_500_000L));
        Job halfway = fold(started, Events.CONVERSION_PROGRESS, new Events.ConversionProgress("job-1", 1, 0.5, T), 1).orElseThrow();
        assertThat(Job.from(halfway.toDocument()).mp3Reserved(), is(14_500_000L));
        assertThat("a start without the probe's figures (an older transcoder) reserves nothing", fold(queued,
                Events.CONVERSION_STARTED, new Events.ConversionStarted("job-1", 1, "w", T), 0).orElseThrow().mp3Reserved(), is(0L));
    }

    @Test
    void theOptionsAndTheMp3sWarningsAreStoredAsTheyCame() {
        Events.Options options = new Events.Options(null, 2, "Titre", "Artiste", "frame", -16.0, 1.5, 30.25);
        Job job = Job.uploaded("job-2", new Events.Owner("u", "u@example.com"), "a.mp4", 100, "0123456789abcdef01234567",
                options, Map.of(), T).finished(JobState.DONE, new Events.Mp3("f", 1, 2.0, java.util.List.of("w")), null, 1, T);
        Job stored = Job.from(job.toDocument());
        assertThat(stored.options(), is(options));
        assertThat(stored.mp3(), is(job.mp3()));
    }

    @Test
    void replaysLateReportsAndOlderAttemptsChangeNothing() throws Exception {
        Job second = fold(queued, Events.CONVERSION_STARTED, new Events.ConversionStarted("job-1", 2, "w", T), 5).orElseThrow();
        assertThat("a replay at or below the folded offset",
                fold(second, Events.CONVERSION_STARTED, new Events.ConversionStarted("job-1", 3, "w", T), 5).isPresent(), is(false));
        assertThat("progress of an older attempt",
                fold(second, Events.CONVERSION_PROGRESS, new Events.ConversionProgress("job-1", 1, 0.9, T), 6).isPresent(), is(false));
        Job failed = fold(second, Events.CONVERSION_FAILED, new Events.ConversionFailed("job-1", 2,
                new Events.Reason("no-audio", "no sound"), T), 7).orElseThrow();
        assertThat(failed.state(), is(JobState.FAILED));
        assertThat("the source video is dropped from a FAILED job too: nothing reads it again", failed.videoFileId(), nullValue());
        assertThat("an outcome after the outcome", fold(failed, Events.CONVERSION_DONE, new Events.ConversionDone("job-1", 2,
                "abcdefabcdefabcdefabcdef", 10, 2.0, 44_100, 2, false, 1.0, T, java.util.List.of()), 8).isPresent(), is(false));
        Job told = fold(failed, Events.NOTIFICATION_SENT, new Events.NotificationSent("job-1", "mail", T), 9).orElseThrow();
        assertThat(told.notifiedAt(), is(T));
        assertThat(fold(told, Events.NOTIFICATION_SENT, new Events.NotificationSent("job-1", "mail", T), 10).isPresent(), is(false));
    }

    private static Optional<Job> fold(Job job, String type, Object event, long offset) throws Exception {
        return JobFold.apply(job, EventMessage.of(type, job.id(), offset, event, Map.of()), offset);
    }
}
