package com.mp3converter.transcoder.convert;

import java.nio.file.Path;

import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.SourceTags;
import com.mp3converter.testmedia.TestMedia;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Loudness normalisation and cuts, measured by Debian's ffmpeg (ebur128, a plain decode), not by our code. */
class LoudnessAndCutTest {
    private static final int RATE = 48_000;
    private final Mp3Converter converter = new Mp3Converter();

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"WAV_QUIET", "WAV_LOUD"})
    void aQuietAndALoudSourceEndAtTheTargetWithTheirPeaksUnderMinusOneDbtp(Sample sample) throws Exception {
        DebianFfmpeg.Loudness before = DebianFfmpeg.loudness(TestMedia.path(sample));
        assertThat("the source is far from the target", Math.abs(before.lufs() + 16), org.hamcrest.Matchers.greaterThan(10.0));
        Path mp3 = temp.resolve("normalised.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(sample), mp3, loudness(-16), "x", p -> { });
        assertThat(result.warnings(), is(empty()));
        DebianFfmpeg.Loudness after = DebianFfmpeg.loudness(mp3);
        assertThat("FFmpeg's ebur128 of the MP3", after.lufs(), closeTo(-16, 0.5));
        assertThat("true peak", after.truePeakDb(), lessThanOrEqualTo(-1.0));
        TaggingTest.assertReplayGainAgreesWithFfmpeg(mp3);
    }

    @Test
    void peaksThatLimitTheGainKeepTheCeilingAndTheOwnerIsTold() throws Exception {
        Path mp3 = temp.resolve("clicks.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.WAV_QUIET_WITH_CLICKS), mp3, loudness(-14),
                "x", p -> { });
        assertThat(DebianFfmpeg.loudness(mp3).truePeakDb(), lessThanOrEqualTo(-1.0));
        assertThat(result.warnings(), hasSize(1));
        assertThat(result.warnings().getFirst(), containsString("not -14.0"));
    }

    @Test
    void aCutIsTheRightPartToTheSample() throws Exception {
        Path mp3 = temp.resolve("cut.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.WAV_TONE_STEPS), mp3, cut(1.5, 4.75), "x",
                p -> { });
        float[] audio = DebianFfmpeg.decode(mp3);
        assertThat("duration within one MP3 frame of end - start", audio.length / (double) RATE, closeTo(3.25, 1152.0 / RATE));
        assertThat(result.durationSeconds(), closeTo(3.25, 1e-3));
        // the source: 440 Hz until 2 s, 880 Hz until 4 s, 1760 Hz after; so 0.5 s of 440, 2 s of 880, 0.75 s of 1760
        assertThat(dominant(audio, 0.05, 0.45), is(440));
        assertThat(dominant(audio, 0.6, 2.4), is(880));
        assertThat(dominant(audio, 2.6, 3.2), is(1760));
        assertThat("the step is where it was, 0.5 s in", stepAt(audio, 0.3, 0.7, 440, 880), closeTo(0.5, 0.01));
    }

    @Test
    void chaptersAndTheCoverFollowTheCut() throws Exception {
        Path mp3 = temp.resolve("cut-chapters.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.MP4_TAGGED_COVER_CHAPTERS), mp3,
                cut(2.0, 5.0), "x", p -> { });
        TaggingTest.assertChapters(mp3, SourceTags.CHAPTERS.subList(1, 3), 2000, result.durationSeconds());
    }

    @Test
    void anEndPastTheSourceIsItsEndAndAStartPastItFails() throws Exception {
        Path mp3 = temp.resolve("long.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.WAV_TONE_STEPS), mp3, cut(5.0, 60.0), "x",
                p -> { });
        assertThat(result.durationSeconds(), closeTo(1.0, 1e-3));
        assertThat(result.warnings(), hasSize(1));
        assertThat(result.warnings().getFirst(), containsString("ends at 0:06.000"));
        ConversionException e = assertThrows(ConversionException.class, () -> converter.convert(
                TestMedia.path(Sample.WAV_TONE_STEPS), temp.resolve("none.mp3"), cut(30.0, 40.0), "x", p -> { }));
        assertThat(e.code(), is(Cut.PAST_THE_END));
        assertThat(e.permanent(), is(true));
        assertThat(e.getMessage(), containsString("starts at 0:30.000, but the file ends at 0:06.000"));
    }

    private static Mp3Converter.Options loudness(double lufs) {
        return new Mp3Converter.Options(null, null, null, null, null, lufs, null, null);
    }

    private static Mp3Converter.Options cut(double start, double end) {
        return new Mp3Converter.Options(null, null, null, null, null, null, start, end);
    }

    /** Which of 440, 880 and 1760 Hz is strongest between {@code from} and {@code to} seconds (Goertzel). */
    private static int dominant(float[] audio, double from, double to) {
        int best = 0;
        double strongest = -1;
        for (int hz : new int[] {440, 880, 1760}) {
            double power = power(audio, (int) (from * RATE), (int) (to * RATE), hz);
            if (power > strongest) {
                strongest = power;
                best = hz;
            }
        }
        return best;
    }

    /** Where, in 1 ms steps, 10 ms windows stop being more {@code before} than {@code after}. */
    private static double stepAt(float[] audio, double from, double to, int before, int after) {
        int window = RATE / 100;
        for (double t = from; t < to; t += 0.001) {
            int start = (int) (t * RATE);
            if (power(audio, start, start + window, after) > power(audio, start, start + window, before)) {
                return t + 0.005;
            }
        }
        return Double.NaN;
    }

    private static double power(float[] audio, int from, int to, int hz) {
        double coefficient = 2 * Math.cos(2 * Math.PI * hz / RATE);
        double s1 = 0;
        double s2 = 0;
        for (int i = from; i < Math.min(to, audio.length); i++) {
            double s = audio[i] + coefficient * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    }
}
