package com.mp3converter.transcoder.convert;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every generated sample, converted and decoded again by the real FFmpeg, against what the sample holds. */
class Mp3ConverterTest {
    private final Mp3Converter converter = new Mp3Converter();

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"MP4_H264_AAC", "M4V_SHORT_MOOV_AT_END", "AVI_MPEG4_MP3", "TS_MPEG2_MP2", "WEBM_NAMED_MP4",
            "MP4_TWO_VORBIS_AUDIO_ONLY", "OGG_OPUS_51", "WAV_22K"})
    void convertsEveryPlayableSample(Sample sample) throws Exception {
        Path out = temp.resolve("out.mp3");
        List<Double> progress = new ArrayList<>();
        Mp3Converter.Result result = converter.convert(TestMedia.path(sample), out,
                Mp3Converter.Options.DEFAULT, "title of " + sample.fileName(), progress::add);
        double seconds = sample.durationSeconds();
        double tolerance = Math.max(0.15, seconds * 0.05) + (seconds < 0.5 ? 0.1 : 0);
        int rate = Mp3Converter.mp3Rate(sample.sampleRate());
        int channels = Math.min(2, sample.channels());
        boolean copied = sample.codec().equals("mp3");
        assertThat(result.durationSeconds(), closeTo(seconds, tolerance));
        assertThat(result.sampleRate(), is(rate));
        assertThat(result.channels(), is(channels));
        assertThat(result.copied(), is(copied));
        try (FFmpegFrameGrabber check = new FFmpegFrameGrabber(out.toFile())) {
            check.start();
            assertThat(check.getFormat(), containsString("mp3"));
            assertThat(check.getSampleRate(), is(rate));
            assertThat(check.getAudioChannels(), is(channels));
            assertThat(check.getMetadata().get("title"), is("title of " + sample.fileName()));
            if (!copied) {
                assertThat(check.getAudioBitrate() / 1000.0, closeTo(rate >= 32000 ? 192 : 160, 16));
            }
        }
        progress.forEach(p -> assertThat(p, closeTo(0.5, 0.5)));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"MP4_NO_AUDIO", "TRUNCATED_3GP"})
    void failsClearlyOnFilesWithoutUsableAudio(Sample sample) {
        ConversionException e = assertThrows(ConversionException.class, () -> converter.convert(
                TestMedia.path(sample), temp.resolve("out.mp3"), Mp3Converter.Options.DEFAULT, sample.fileName(), p -> { }));
        assertThat(e.code(), is(sample == Sample.MP4_NO_AUDIO ? "no-audio" : "corrupt"));
        assertThat(e.permanent(), is(true));
    }

    @org.junit.jupiter.api.Test
    void honoursBitrateAndVbrOptions() throws Exception {
        Path source = TestMedia.path(Sample.TS_MPEG2_MP2);
        Path cbr = temp.resolve("cbr.mp3");
        converter.convert(source, cbr, new Mp3Converter.Options(64, null), "cbr", p -> { });
        Path vbr = temp.resolve("vbr.mp3");
        converter.convert(source, vbr, new Mp3Converter.Options(null, 9), "vbr", p -> { });
        Path copiedAvi = temp.resolve("reencoded.mp3");
        Mp3Converter.Result reencoded = converter.convert(TestMedia.path(Sample.AVI_MPEG4_MP3),
                copiedAvi, new Mp3Converter.Options(96, null), "avi", p -> { });
        assertThat(reencoded.copied(), is(false));
        try (FFmpegFrameGrabber check = new FFmpegFrameGrabber(cbr.toFile())) {
            check.start();
            assertThat(check.getAudioBitrate() / 1000.0, closeTo(64, 8));
        }
        assertThat(Files.size(vbr) < Files.size(temp.resolve("reencoded.mp3")) || Files.size(vbr) > 0, is(true));
        ConversionException text = assertThrows(ConversionException.class, () -> {
            Path notMedia = temp.resolve("notes.mp4");
            Files.writeString(notMedia, "just some text, not a video at all ".repeat(100));
            converter.convert(notMedia, temp.resolve("x.mp3"), Mp3Converter.Options.DEFAULT, "x", p -> { });
        });
        assertThat(text.permanent(), is(true));
    }
}
