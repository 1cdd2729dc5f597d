package com.mp3converter.transcoder.convert;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.SourceTags;
import com.mp3converter.testmedia.TestMedia;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every generated sample, converted and decoded again by the real FFmpeg, against what the sample holds. */
class Mp3ConverterTest {
    private static final Map<Sample, String> TITLES = Map.of(Sample.MP3_CBR, "original title",
            Sample.MP4_TAGGED_COVER_CHAPTERS, SourceTags.TITLE, Sample.MKV_TAGGED_FADE_IN, SourceTags.TITLE,
            Sample.OGG_VORBIS_COMMENTS, SourceTags.TITLE);
    private final Mp3Converter converter = new Mp3Converter();

    @TempDir
    Path temp;

    @Test
    void theSystemsLameEncodes() {
        assertThat("libmp3lame.so.0 must be installed (./mp3converter test does it)", converter.encoder(), is("system"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"MP4_NO_AUDIO", "TRUNCATED_3GP"}, mode = EnumSource.Mode.EXCLUDE)
    void convertsEveryPlayableSampleFromTheAudioStreamFfmpegWouldPick(Sample sample) throws Exception {
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
        assertThat("the duration is counted, and matches a decode of the MP3", Mp3Converter.durationOf(out),
                closeTo(result.durationSeconds(), 0.1));
        assertThat(result.sampleRate(), is(rate));
        assertThat(result.channels(), is(channels));
        assertThat(result.copied(), is(copied));
        assertThat("no video frame decoded", result.videoFrames(), is(0L));
        assertThat(result.bytes(), is(Files.size(out)));
        try (FFmpegFrameGrabber check = new FFmpegFrameGrabber(out.toFile())) {
            check.start();
            assertThat(check.getFormat(), containsString("mp3"));
            assertThat(check.getSampleRate(), is(rate));
            assertThat(check.getAudioChannels(), is(channels));
            assertThat("the source's title, else the name given", check.getMetadata().get("title"), is(TITLES.getOrDefault(sample,
                    "title of " + sample.fileName())));
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
        assertPlainWords(e.getMessage());
    }

    @Test
    void aVideoIsNeverDecodedForItsSound() throws Exception {
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.MP4_H264_AAC), temp.resolve("a.mp3"),
                new Mp3Converter.Options(128, null), "a", p -> { });
        assertThat("pictures decoded while converting a video", result.videoFrames(), is(0L));
    }

    @Test
    void anMp3StreamIsCopiedPacketForPacketFromAFileWithTwoAudioStreams() throws Exception {
        Path source = TestMedia.path(Sample.MKV_MP3_AND_AC3);
        Path out = temp.resolve("copy.mp3");
        Mp3Converter.Result result = converter.convert(source, out, Mp3Converter.Options.DEFAULT, "copy", p -> { });
        assertThat(result.copied(), is(true));
        List<String> in = packets(source, 1);
        List<String> copied = packets(out, 0);
        assertThat(copied.size(), greaterThan(10));
        assertThat("the MP3's packets are the source's MP3 packets, byte for byte", copied, is(in));
        Path reencoded = temp.resolve("reencoded.mp3");
        assertThat(converter.convert(source, reencoded, new Mp3Converter.Options(96, null), "again", p -> { }).copied(), is(false));
        assertThat("with a bitrate asked for, it is encoded anew", packets(reencoded, 0), not(copied));
    }

    @Test
    void vbrQualityMakesAVariableBitrateFileAndABetterQualityALargerOne() throws Exception {
        Path source = TestMedia.path(Sample.OGG_OPUS_51);
        Path best = temp.resolve("q0.mp3");
        Path worst = temp.resolve("q9.mp3");
        converter.convert(source, best, new Mp3Converter.Options(null, 0), "q0", p -> { });
        converter.convert(source, worst, new Mp3Converter.Options(null, 9), "q9", p -> { });
        Path cbr = temp.resolve("cbr.mp3");
        converter.convert(source, cbr, new Mp3Converter.Options(64, null), "cbr", p -> { });
        assertThat("a VBR file carries a Xing tag", tag(best), is("Xing"));
        assertThat("a CBR file carries an Info tag", tag(cbr), is("Info"));
        assertThat("VBR frames differ in size", frameSizes(best).size(), greaterThan(1));
        assertThat("CBR frames do not", frameSizes(cbr).size(), is(1));
        assertThat("quality 0 spends more bits than quality 9", Files.size(best), greaterThan(Files.size(worst)));
        try (FFmpegFrameGrabber check = new FFmpegFrameGrabber(cbr.toFile())) {
            check.start();
            assertThat(check.getAudioBitrate() / 1000.0, closeTo(64, 8));
        }
    }

    @Test
    void withoutTheSystemsLameTheBundledEncoderStillConverts() throws Exception {
        Mp3Converter bundled = new Mp3Converter("libmp3lame-not-installed.so.0", Mp3Converter.UNLIMITED);
        assertThat(bundled.encoder(), is("bundled"));
        Path out = temp.resolve("bundled.mp3");
        Mp3Converter.Result result = bundled.convert(TestMedia.path(Sample.WAV_22K), out, Mp3Converter.Options.DEFAULT, "b",
                p -> { });
        assertThat(Mp3Converter.durationOf(out), closeTo(Sample.WAV_22K.durationSeconds(), 0.15));
        assertThat(result.durationSeconds(), closeTo(Sample.WAV_22K.durationSeconds(), 0.15));
    }

    /**
     * An upload that sniffs as MP3 (an ID3 tag) but is a DASH manifest naming a file on the server: FFmpeg would
     * follow it and convert that file for the uploader. Refused, in the same words whether the file exists or not
     * (no existence oracle), and the same words as for a text file.
     */
    @Test
    void whatIsNotMediaOrPointsElsewhereIsRefusedInTheSamePlainWords() throws Exception {
        Path text = temp.resolve("notes.mp4");
        Files.writeString(text, "just some text, not a video at all ".repeat(100));
        Path secret = temp.resolve("secret.m4a");
        Files.copy(TestMedia.path(Sample.M4A_AAC_AUDIO_ONLY), secret);
        List<String> messages = new ArrayList<>();
        for (Path target : List.of(secret, temp.resolve("missing.m4a"))) {
            Path manifest = Files.createDirectories(temp.resolve("upload-of-" + target.getFileName())).resolve("source");
            byte[] id3 = {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0};
            Files.write(manifest, id3);
            Files.writeString(manifest, "<?xml version=\"1.0\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
                    + "profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\" type=\"static\" mediaPresentationDuration=\"PT1S\" "
                    + "minBufferTime=\"PT1S\"><Period><AdaptationSet mimeType=\"audio/mp4\"><Representation id=\"1\" "
                    + "bandwidth=\"1\" audioSamplingRate=\"44100\"><BaseURL>" + target + "</BaseURL></Representation>"
                    + "</AdaptationSet></Period></MPD>", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            messages.add(refusal(manifest));
        }
        messages.add(refusal(text));
        assertThat("the same words for a manifest to an existing file, to a missing one, and for text",
                new HashSet<>(messages).size(), is(1));
        assertPlainWords(messages.getFirst());
    }

    private String refusal(Path source) {
        ConversionException e = assertThrows(ConversionException.class, () -> converter.convert(source,
                temp.resolve("x.mp3"), Mp3Converter.Options.DEFAULT, "x", p -> { }));
        assertThat(e.permanent(), is(true));
        return e.code() + ": " + e.getMessage();
    }

    private static void assertPlainWords(String message) {
        for (String hint : List.of("/", "avformat", "()", "setFormat", "error -", "Exception")) {
            assertThat(message, not(containsString(hint)));
        }
    }

    /** The hex of each packet of stream {@code index}. */
    private static List<String> packets(Path file, int index) throws Exception {
        List<String> packets = new ArrayList<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            grabber.start();
            for (AVPacket packet = grabber.grabPacket(); packet != null; packet = grabber.grabPacket()) {
                if (packet.stream_index() == index) {
                    byte[] data = new byte[packet.size()];
                    packet.data().get(data);
                    packets.add(java.util.HexFormat.of().formatHex(data));
                }
            }
        }
        return packets;
    }

    /** "Xing" or "Info": the tag in the first MP3 frame after the ID3v2 tag, or "none". */
    private static String tag(Path mp3) throws Exception {
        String head = new String(Files.readAllBytes(mp3), 0, (int) Math.min(Files.size(mp3), 20_000), StandardCharsets.ISO_8859_1);
        int xing = head.indexOf("Xing");
        int info = head.indexOf("Info");
        return xing >= 0 && (info < 0 || xing < info) ? "Xing" : info >= 0 ? "Info" : "none";
    }

    /** The distinct sizes of the audio packets (MP3 frames) after the first. */
    private static Set<Integer> frameSizes(Path mp3) throws Exception {
        Set<Integer> sizes = new HashSet<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(mp3.toFile())) {
            grabber.start();
            grabber.grabPacket();
            for (AVPacket packet = grabber.grabPacket(); packet != null; packet = grabber.grabPacket()) {
                sizes.add(packet.size());
            }
        }
        return sizes;
    }
}
