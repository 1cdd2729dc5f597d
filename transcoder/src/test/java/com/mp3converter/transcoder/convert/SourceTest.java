package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** A source arriving chunk by chunk while it is read: in order, far ahead, and when the download fails. */
class SourceTest {
    private static final int CHUNK = 1000;
    private final byte[] content = new byte[20 * CHUNK + 123];

    @TempDir
    Path temp;

    SourceTest() {
        new Random(7).nextBytes(content);
    }

    @Test
    void aReaderGetsEveryByteWhileTheyTrickleIn() throws Exception {
        try (Source source = Source.arriving(temp.resolve("a"), content.length, CHUNK, new Trickle(0, null))) {
            assertThat(source.stream().readAllBytes(), is(content));
        }
    }

    @Test
    void aReadFarAheadOfTheDownloadFetchesItsChunkWithoutWaitingForTheRest() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (Source source = Source.arriving(temp.resolve("b"), content.length, CHUNK, new Trickle(2, never))) {
            Source.Stream stream = source.stream();
            assertThat(stream.seek(-123, 2), is(20L * CHUNK)); // where an MP4's index is when it comes last
            byte[] tail = assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> stream.readNBytes(123));
            assertThat(tail, is(Arrays.copyOfRange(content, 20 * CHUNK, content.length)));
            stream.reset();
            assertThat(stream.readNBytes(2 * CHUNK), is(Arrays.copyOf(content, 2 * CHUNK)));
        }
    }

    @Test
    void aFailedDownloadFailsTheReadersWithItsCauseRatherThanEndingTheFileEarly() throws Exception {
        IOException cut = new IOException("MongoDB went away");
        Source.Chunks failing = new Source.Chunks() {
            @Override
            public void inOrder(Source.ChunkSink each) throws Exception {
                each.accept(0, Arrays.copyOf(content, CHUNK));
                throw cut;
            }

            @Override
            public byte[] one(int n) throws Exception {
                throw cut;
            }
        };
        try (Source source = Source.arriving(temp.resolve("c"), content.length, CHUNK, failing)) {
            Source.Stream stream = source.stream();
            assertThat(stream.readNBytes(CHUNK), is(Arrays.copyOf(content, CHUNK)));
            IOException read = assertThrows(IOException.class, () -> stream.readNBytes(CHUNK));
            assertThat(read.getCause(), sameInstance(cut));
            assertThat(source.failure(), sameInstance(cut));
        }
    }

    @Test
    void aCancelledSourceFailsItsReadersWithTheReason() throws Exception {
        ConversionException late = ConversionException.permanent(ConversionException.DEADLINE, "too slow", null);
        try (Source source = Source.arriving(temp.resolve("d"), content.length, CHUNK, new Trickle(1, new CountDownLatch(1)))) {
            Source.Stream stream = source.stream();
            stream.readNBytes(CHUNK);
            Thread.ofVirtual().start(() -> {
                sleep(200);
                source.cancel(late);
            });
            IOException read = assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                    () -> assertThrows(IOException.class, () -> stream.readNBytes(CHUNK)));
            assertThat(read.getCause(), sameInstance(late));
        }
    }

    @Test
    void aCompleteLocalFileReadsAsItIs() throws Exception {
        Path file = temp.resolve("e");
        java.nio.file.Files.write(file, content);
        try (Source source = Source.of(file)) {
            assertThat(source.stream().readAllBytes(), is(content));
        }
    }

    /** The content's chunks in order, a few milliseconds apart; after {@code stopAfter} of them (0: never) it waits. */
    private final class Trickle implements Source.Chunks {
        private final int stopAfter;
        private final CountDownLatch gate;

        Trickle(int stopAfter, CountDownLatch gate) {
            this.stopAfter = stopAfter;
            this.gate = gate;
        }

        @Override
        public void inOrder(Source.ChunkSink each) throws Exception {
            for (int n = 0; n * CHUNK < content.length; n++) {
                if (n == stopAfter && gate != null && !gate.await(1, TimeUnit.MINUTES)) {
                    return;
                }
                sleep(2);
                if (!each.accept(n, one(n))) {
                    return;
                }
            }
        }

        @Override
        public byte[] one(int n) {
            return Arrays.copyOfRange(content, n * CHUNK, Math.min(content.length, (n + 1) * CHUNK));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
