package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;

import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Converting while the upload still arrives, as the transcoder does from GridFS: the same MP3 as from the complete
 * file (an MP4 whose index comes last included), a download that fails is a temporary failure and never a short
 * MP3, and more sound than the limit fails before encoding, or while decoding when the file hides its length.
 */
class StreamingConversionTest {
    private static final int CHUNK = 16 * 1024;
    private final Mp3Converter converter = new Mp3Converter();

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"MP4_TAGGED_COVER_CHAPTERS", "MKV_TAGGED_FADE_IN", "AVI_MPEG4_MP3", "OGG_OPUS_51"})
    void anArrivingUploadMakesTheSameMp3AsTheCompleteFile(Sample sample) throws Exception {
        Path file = TestMedia.path(sample);
        Path whole = temp.resolve("whole.mp3");
        Mp3Converter.Result fromFile = converter.convert(file, whole, Mp3Converter.Options.DEFAULT, "x", p -> { });
        Path streamed = temp.resolve("streamed.mp3");
        Mp3Converter.Result arriving;
        try (Source source = Source.arriving(temp.resolve("source"), Files.size(file), CHUNK, new FileChunks(file, -1, new CountDownLatch(0)));
             Mp3Converter.Conversion conversion = converter.prepare(source, Mp3Converter.Options.DEFAULT, "x");
             Mp3Output.FileOutput out = Mp3Output.to(streamed)) {
            assertThat("the head holds the tag's room and the Info frame", conversion.head(),
                    greaterThanOrEqualTo((long) Mp3Encoder.INFO_FRAME_BYTES));
            arriving = conversion.run(out, p -> { });
        }
        assertThat(arriving, is(fromFile));
        assertThat(sha256(streamed), is(sha256(whole)));
    }

    @Test
    void aDownloadThatFailsHalfWayIsATemporaryFailureNotAShortMp3() throws Exception {
        Path file = TestMedia.path(Sample.MKV_TAGGED_FADE_IN);
        CountDownLatch probed = new CountDownLatch(1);
        FileChunks chunks = new FileChunks(file, (int) (Files.size(file) / CHUNK / 2), probed);
        try (Source source = Source.arriving(temp.resolve("source"), Files.size(file), CHUNK, chunks);
             Mp3Output.FileOutput out = Mp3Output.to(temp.resolve("short.mp3"))) {
            Mp3Converter.Options noCover = new Mp3Converter.Options(null, null, null, null, Mp3Converter.Cover.NONE, null,
                    null, null); // the probe reads only the head
            Mp3Converter.Conversion conversion = converter.prepare(source, noCover, "x");
            probed.countDown(); // MongoDB goes away while the audio is decoded
            ConversionException failed = assertThrows(ConversionException.class, () -> conversion.run(out, p -> { }));
            assertThat(failed.code(), is(ConversionException.IO));
            assertThat(failed.permanent(), is(false));
        }
    }

    @Test
    void moreSoundThanTheLimitFailsBeforeEncodingWithWords() throws Exception {
        Mp3Converter limited = new Mp3Converter("libmp3lame.so.0", Duration.ofMinutes(2));
        Path flac = TestMedia.silentFlac(Duration.ofMinutes(10), true);
        try (Source source = Source.of(flac)) {
            ConversionException failed = assertThrows(ConversionException.class,
                    () -> limited.prepare(source, Mp3Converter.Options.DEFAULT, "silence"));
            assertThat(failed.code(), is(ConversionException.TOO_LONG));
            assertThat(failed.permanent(), is(true));
            assertThat(failed.getMessage(), is("the sound to convert is 10:00.000 long or more, and a job may convert at "
                    + "most 2:00.000: convert a part of it (start and end), or split the file"));
        }
        assertThat("a part within the limit converts", limited.convert(flac, temp.resolve("part.mp3"),
                new Mp3Converter.Options(null, null, null, null, null, null, 60.0, 150.0), "part", p -> { })
                .durationSeconds(), closeTo(90, 0.1));
    }

    @Test
    void soundLongerThanItsFileSaysIsStoppedAtTheLimitWhileDecoding() throws Exception {
        Mp3Converter limited = new Mp3Converter("libmp3lame.so.0", Duration.ofMinutes(2));
        Path flac = TestMedia.silentFlac(Duration.ofMinutes(10), false);
        try (Source source = Source.of(flac); Mp3Converter.Conversion conversion = limited.prepare(source,
                Mp3Converter.Options.DEFAULT, "silence"); Mp3Output.FileOutput out = Mp3Output.to(temp.resolve("x.mp3"))) {
            assertThat("the file does not say how long it is", conversion.seconds(), is(0.0));
            assertThat("what the MP3 can take at most, from the limit", conversion.mp3BytesAtMost(),
                    greaterThanOrEqualTo(120L * 192 * 125));
            ConversionException failed = assertThrows(ConversionException.class, () -> conversion.run(out, p -> { }));
            assertThat(failed.code(), is(ConversionException.TOO_LONG));
            assertThat(failed.getMessage(), containsString("is longer than its file says: 2:01"));
            assertThat("encoding stopped at the limit", out.size(), lessThanOrEqualTo(122L * 192 * 125 + 100_000));
        }
    }

    /** A file's chunks, in order; from {@code failAt} on (when not -1), once {@code gone} opens, MongoDB is gone. */
    private record FileChunks(Path file, int failAt, CountDownLatch gone) implements Source.Chunks {
        @Override
        public void inOrder(Source.ChunkSink each) throws Exception {
            for (int n = 0; (long) n * CHUNK < Files.size(file); n++) {
                Thread.sleep(1);
                if (n == failAt) {
                    gone.await();
                }
                if (!each.accept(n, one(n))) {
                    return;
                }
            }
        }

        @Override
        public byte[] one(int n) throws IOException {
            if (failAt >= 0 && n >= failAt) {
                throw new IOException("MongoDB went away");
            }
            byte[] all = Files.readAllBytes(file);
            return Arrays.copyOfRange(all, n * CHUNK, Math.min(all.length, (n + 1) * CHUNK));
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
