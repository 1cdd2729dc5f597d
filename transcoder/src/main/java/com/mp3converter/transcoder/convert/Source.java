package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The upload being converted: a local file that may still be arriving. A downloader writes it chunk by chunk in
 * order while FFmpeg already reads it; a read ahead of the downloader waits for it, and one far ahead (an MP4
 * whose index is at the end) fetches its chunk at once, out of order. FFmpeg reads it only through
 * {@link #stream()}, never by name, so no protocol or other file is ever opened for it.
 */
public final class Source implements AutoCloseable {
    /** A read this many chunks ahead of the downloader fetches its chunk itself rather than wait. */
    static final int AHEAD = 8;

    /** Where an arriving source's bytes come from: chunks of a fixed size, in order or one at a time. */
    public interface Chunks {
        /** Hands chunks {@code 0..} to {@code each} in order, until the last or until {@code each} returns false. */
        void inOrder(ChunkSink each) throws Exception;

        /** Chunk {@code n} alone. */
        byte[] one(int n) throws Exception;
    }

    /** Receives one chunk; false to stop. */
    @FunctionalInterface
    public interface ChunkSink {
        boolean accept(int n, byte[] data) throws IOException;
    }

    private final Path file;
    private final FileChannel channel;
    private final long length;
    private final int chunkSize;
    private final int count;
    private final Chunks chunks;
    private final boolean deleteOnClose;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final BitSet present;
    private int next;
    private volatile Exception failure;
    private volatile boolean closed;
    private Thread downloader;

    private Source(Path file, long length, int chunkSize, Chunks chunks, boolean deleteOnClose) throws IOException {
        this.file = file;
        this.length = length;
        this.chunkSize = chunkSize;
        this.count = (int) ((length + chunkSize - 1) / chunkSize);
        this.chunks = chunks;
        this.deleteOnClose = deleteOnClose;
        this.present = new BitSet(count);
        this.channel = chunks == null ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (chunks == null) {
            present.set(0, count);
            next = count;
        }
    }

    /** A complete local file (tests, benchmarks, the demo); closing leaves it where it is. */
    public static Source of(Path file) throws IOException {
        return new Source(file, Files.size(file), Integer.MAX_VALUE, null, false);
    }

    /**
     * {@code length} bytes arriving from {@code chunks} into the new file {@code file}, downloaded from now on by a
     * thread of its own; closing stops it and deletes the file.
     */
    public static Source arriving(Path file, long length, int chunkSize, Chunks chunks) throws IOException {
        Source source = new Source(file, length, chunkSize, chunks, true);
        source.downloader = Thread.ofPlatform().daemon(true).name(Thread.currentThread().getName() + "-download")
                .start(source::download);
        return source;
    }

    public long length() {
        return length;
    }

    /** What stopped the download, if it failed (MongoDB unreachable, the file deleted meanwhile). */
    public Exception failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every byte arrived (or the download failed): tests. */
    void awaitComplete() throws IOException {
        for (int n = 0; n < count; n++) {
            await(n);
        }
    }

    /** A new reader from the start, for one open by FFmpeg. */
    public Stream stream() {
        return new Stream();
    }

    /**
     * Reads into {@code into} from {@code position} (at most to the end of the chunk there), waiting for the bytes
     * to arrive; -1 at the end.
     */
    int read(long position, ByteBuffer into) throws IOException {
        if (position >= length) {
            return -1;
        }
        int n = (int) (position / chunkSize);
        await(n);
        long chunkEnd = Math.min(length, (long) (n + 1) * chunkSize);
        int wanted = (int) Math.min(into.remaining(), chunkEnd - position);
        ByteBuffer part = into.slice(into.position(), wanted);
        int read = 0;
        while (part.hasRemaining()) {
            int r = channel.read(part, position + read);
            if (r < 0) {
                throw new IOException("the source file ended early");
            }
            read += r;
        }
        into.position(into.position() + read);
        return read;
    }

    private void await(int n) throws IOException {
        boolean fetch;
        lock.lock();
        try {
            while (!present.get(n) && failure == null && !closed && n < next + AHEAD) {
                arrived.await();
            }
            fetch = !present.get(n);
            if (fetch) {
                check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the upload");
        } finally {
            lock.unlock();
        }
        if (fetch) {
            try {
                store(n, chunks.one(n));
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                fail(e);
                check();
            }
        }
    }

    private void check() throws IOException {
        if (failure != null) {
            throw new IOException("the upload could not be read", failure);
        }
        if (closed) {
            throw new IOException("the source is closed");
        }
    }

    private void download() {
        try {
            chunks.inOrder((n, data) -> {
                if (closed) {
                    return false;
                }
                lock.lock();
                boolean have;
                try {
                    have = present.get(n);
                    next = n + 1;
                } finally {
                    lock.unlock();
                }
                if (!have) {
                    store(n, data);
                } else {
                    signal();
                }
                return true;
            });
            lock.lock();
            try {
                if (present.cardinality() < count && failure == null && !closed) {
                    failure = new IOException("the upload has " + present.cardinality() + " of its " + count + " chunks");
                }
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (Exception e) {
            if (!closed) {
                fail(e);
            }
        }
    }

    private void store(int n, byte[] data) throws IOException {
        long expected = Math.min(chunkSize, length - (long) n * chunkSize);
        if (data.length != expected) {
            throw new IOException("chunk " + n + " holds " + data.length + " bytes, not " + expected);
        }
        ByteBuffer bytes = ByteBuffer.wrap(data);
        while (bytes.hasRemaining()) {
            channel.write(bytes, (long) n * chunkSize + bytes.position());
        }
        lock.lock();
        try {
            present.set(n);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void signal() {
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void fail(Exception e) {
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Makes every read fail with {@code reason} from now on (a deadline), and stops the download. */
    public void cancel(Exception reason) {
        fail(reason);
        closed = true;
        if (downloader != null) {
            downloader.interrupt();
        }
    }

    /** Stops the download and wakes every reader; an arriving source's file is deleted. */
    @Override
    public void close() throws IOException {
        closed = true;
        signal();
        if (downloader != null) {
            downloader.interrupt();
            try {
                downloader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        channel.close();
        if (deleteOnClose) {
            Files.deleteIfExists(file);
        }
    }

    /**
     * One reader's position in the source, as an InputStream for JavaCV's grabber (which seeks by {@code reset()}
     * to the start and {@code skip}) and for our own AVIOContext ({@link FfmpegIo}).
     */
    public final class Stream extends InputStream {
        private long position;
        private long mark;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            return length == 0 ? 0 : read(ByteBuffer.wrap(bytes, offset, length));
        }

        /** Reads into {@code into} (what arrived of the chunk at the position, at most); -1 at the end. */
        int read(ByteBuffer into) throws IOException {
            int read = Source.this.read(position, into);
            if (read > 0) {
                position += read;
            }
            return read;
        }

        @Override
        public long skip(long n) {
            long skipped = Math.max(-position, Math.min(n, length - position));
            position += skipped;
            return skipped;
        }

        /** Moves to {@code offset}, FFmpeg's {@code whence} (SEEK_SET, SEEK_CUR, SEEK_END); the new position. */
        long seek(long offset, int whence) throws IOException {
            long to = switch (whence) {
                case 0 -> offset;
                case 1 -> position + offset;
                case 2 -> length + offset;
                default -> throw new IOException("cannot seek with whence " + whence);
            };
            if (to < 0) {
                throw new IOException("cannot seek before the start");
            }
            position = to;
            return to;
        }

        long length() {
            return length;
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, length - position);
        }

        @Override
        public boolean markSupported() {
            return true;
        }

        @Override
        public void mark(int limit) {
            mark = position;
        }

        @Override
        public void reset() {
            position = mark;
        }
    }
}
