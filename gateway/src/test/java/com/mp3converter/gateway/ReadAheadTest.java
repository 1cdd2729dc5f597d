package com.mp3converter.gateway;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The read-ahead copy: exact bytes, the source read while the sink writes, bounded, and failures on either side. */
@Timeout(10) // a copy that never ends fails, not hangs
class ReadAheadTest {
    private static final int BLOCK = 1000;
    private static final int BLOCKS = 3;

    @Test
    void copiesExactlyTheLengthAskedFor() throws IOException {
        byte[] source = random(10_500);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ReadAhead.copy(new ByteArrayInputStream(source), out, 9_999, BLOCKS, BLOCK);
        assertArrayEquals(Arrays.copyOf(source, 9_999), out.toByteArray());
    }

    @Test
    void readsAheadWhileTheSinkWritesButNoMoreThanItsBuffers() throws IOException {
        Counting source = new Counting(new ByteArrayInputStream(random(50 * BLOCK)));
        AtomicLong written = new AtomicLong();
        long[] mostAhead = new long[1];
        OutputStream slowSink = new OutputStream() {
            @Override
            public void write(int b) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (written.get() == 0) { // the first block waits until the source was read further: only a second thread can
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    while (source.read.get() < 3L * BLOCK && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    assertTrue(source.read.get() >= 3L * BLOCK, "the source was not read while the sink wrote");
                }
                sleep(5);
                mostAhead[0] = Math.max(mostAhead[0], source.read.get() - written.get());
                written.addAndGet(len);
            }
        };
        ReadAhead.copy(source, slowSink, 50L * BLOCK, BLOCKS, BLOCK);
        assertThat(written.get(), is(50L * BLOCK));
        assertThat("bytes read ahead of the sink", mostAhead[0], lessThanOrEqualTo((BLOCKS + 1L) * BLOCK));
    }

    @Test
    void aSourceShorterThanRecordedIsAnError() {
        IOException e = assertThrows(IOException.class, () -> ReadAhead.copy(new ByteArrayInputStream(random(2_500)),
                OutputStream.nullOutputStream(), 5_000, BLOCKS, BLOCK));
        assertThat(e.getMessage(), containsString("shorter"));
    }

    @Test
    void aFailingSourceFailsTheCopy() {
        InputStream failing = new InputStream() {
            private int left = 1_500;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IllegalStateException("the store went away");
                }
                return 7;
            }
        };
        IOException e = assertThrows(IOException.class, () -> ReadAhead.copy(failing, OutputStream.nullOutputStream(),
                5_000, BLOCKS, BLOCK));
        assertThat(e.getCause().getMessage(), is("the store went away"));
    }

    @Test
    void aSourceFailingWhileTheSinkIsBehindStillFailsTheCopy() {
        InputStream failing = new InputStream() { // fails once ten blocks were read
            private int left = 10 * BLOCK;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("the store went away");
                }
                return 7;
            }
        };
        OutputStream slowSink = new OutputStream() { // the read-ahead is full whenever the source fails
            @Override
            public void write(int b) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                sleep(30);
            }
        };
        IOException e = assertThrows(IOException.class, () -> ReadAhead.copy(failing, slowSink, 50L * BLOCK, BLOCKS, BLOCK));
        assertThat(e.getMessage(), is("the store went away"));
    }

    @Test
    void aSinkThatFailsStopsTheReading() throws Exception {
        Counting source = new Counting(new InputStream() { // endless
            @Override
            public int read() {
                return 1;
            }
        });
        OutputStream gone = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("client went away");
            }
        };
        assertThrows(IOException.class, () -> ReadAhead.copy(source, gone, Long.MAX_VALUE, BLOCKS, BLOCK));
        long after = source.read.get();
        sleep(200);
        assertThat("bytes read after the copy ended", source.read.get(), is(after));
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Counting extends InputStream {
        final AtomicLong read = new AtomicLong();
        private final InputStream in;

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                read.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                read.addAndGet(n);
            }
            return n;
        }
    }
}
