package com.mp3converter.transcoder.convert;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.mp3converter.common.testing.LocalServers;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every file of the shared media corpus, decoded by the real FFmpeg, against its manifest's expectation. */
class Mp3ConverterTest {
    private final Mp3Converter converter = new Mp3Converter();

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // file, expected duration s, sample rate, channels, copied
            "mp4-h264-aac-stereo-48k-faststart-2s.mp4, 2.261, 48000, 2, false",
            "m4v-h264-aac-stereo-44k-0.07s-moov-end.m4v, 0.070, 44100, 2, false",
            "avi-mpeg4-mp3-stereo-48k-3s.avi, 3.072, 48000, 2, true",
            "ts-mpeg2video-mp2-stereo-44k.ts, 2.429, 44100, 2, false",
            "misnamed-webm-vp9-opus-stereo-48k.mp4, 3.048, 48000, 2, false",
            "mp4-audio-only-two-vorbis-tracks.mp4, 1.012, 44100, 2, false",
            "ogg-opus-5.1-48k.ogg, 3.000, 48000, 2, false",
            "wav-pcm-s16le-stereo-22050.wav, 1.225, 22050, 2, false",
    })
    void convertsEveryPlayableSample(String file, double seconds, int rate, int channels, boolean copied) throws Exception {
        Path out = temp.resolve("out.mp3");
        List<Double> progress = new ArrayList<>();
        Mp3Converter.Result result = converter.convert(LocalServers.mediaDir().resolve(file), out,
                Mp3Converter.Options.DEFAULT, "title of " + file, progress::add);
        double tolerance = Math.max(0.15, seconds * 0.05) + (seconds < 0.5 ? 0.1 : 0);
        assertThat(result.durationSeconds(), closeTo(seconds, tolerance));
        assertThat(result.sampleRate(), is(rate));
        assertThat(result.channels(), is(channels));
        assertThat(result.copied(), is(copied));
        try (FFmpegFrameGrabber check = new FFmpegFrameGrabber(out.toFile())) {
            check.start();
            assertThat(check.getFormat(), containsString("mp3"));
            assertThat(check.getSampleRate(), is(rate));
            assertThat(check.getAudioChannels(), is(channels));
            assertThat(check.getMetadata().get("title"), is("title of " + file));
            if (!copied) {
                assertThat(check.getAudioBitrate() / 1000.0, closeTo(rate >= 32000 ? 192 : 160, 16));
            }
        }
        progress.forEach(p -> assertThat(p, closeTo(0.5, 0.5)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "mp4-h264-no-audio.mp4, no-audio",
            "truncated-3gp-moov-missing.3gp, corrupt",
    })
    void failsClearlyOnFilesWithoutUsableAudio(String file, String code) {
        ConversionException e = assertThrows(ConversionException.class, () -> converter.convert(
                LocalServers.mediaDir().resolve(file), temp.resolve("out.mp3"), Mp3Converter.Options.DEFAULT, file, p -> { }));
        assertThat(e.code(), is(code));
        assertThat(e.permanent(), is(true));
    }

    @org.junit.jupiter.api.Test
    void honoursBitrateAndVbrOptions() throws Exception {
        Path source = LocalServers.mediaDir().resolve("ts-mpeg2video-mp2-stereo-44k.ts");
        Path cbr = temp.resolve("cbr.mp3");
        converter.convert(source, cbr, new Mp3Converter.Options(64, null), "cbr", p -> { });
        Path vbr = temp.resolve("vbr.mp3");
        converter.convert(source, vbr, new Mp3Converter.Options(null, 9), "vbr", p -> { });
        Path copiedAvi = temp.resolve("reencoded.mp3");
        Mp3Converter.Result reencoded = converter.convert(LocalServers.mediaDir().resolve("avi-mpeg4-mp3-stereo-48k-3s.avi"),
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
