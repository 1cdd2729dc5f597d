package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import org.bytedeco.javacv.Seekable;

/**
 * What FFmpeg's MP3 muxer writes, placed in an {@link Mp3Output} after the tag's room: its frames appended as they
 * come, and its Info frame, which it goes back to rewrite at the end, patched in place. For JavaCV's recorder (an
 * OutputStream it can seek) and for our own AVIOContext ({@link FfmpegIo}).
 */
final class MuxedOutput extends OutputStream implements Seekable {
    private final Mp3Output out;
    private final long start;
    private long position;

    /** The muxer's byte 0 is the output's byte {@code start}. */
    MuxedOutput(Mp3Output out, long start) {
        this.out = out;
        this.start = start;
    }

    @Override
    public void write(int b) throws IOException {
        write(ByteBuffer.wrap(new byte[] {(byte) b}));
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        write(ByteBuffer.wrap(bytes, offset, length));
    }

    /** Writes at the muxer's position: over what is there (within the head), then appending. */
    void write(ByteBuffer bytes) throws IOException {
        long at = start + position;
        long end = out.size();
        if (at > end) {
            throw new IOException("the muxer wrote past the end of the MP3");
        }
        int total = bytes.remaining();
        if (at < end) {
            int over = (int) Math.min(total, end - at);
            out.patch(at, bytes.slice(bytes.position(), over));
            bytes.position(bytes.position() + over);
        }
        out.append(bytes);
        position += total;
    }

    @Override
    public void seek(long offset, int whence) {
        seekTo(offset, whence);
    }

    /** Moves to {@code offset}, FFmpeg's {@code whence} (SEEK_SET, SEEK_CUR, SEEK_END); the new position. */
    long seekTo(long offset, int whence) {
        long to = switch (whence) {
            case 0 -> offset;
            case 1 -> position + offset;
            case 2 -> out.size() - start + offset;
            default -> throw new UncheckedIOException(new IOException("cannot seek with whence " + whence));
        };
        if (to < 0 || start + to > out.size()) {
            throw new UncheckedIOException(new IOException("the muxer sought outside the MP3"));
        }
        position = to;
        return to;
    }

    /** The muxer's bytes so far. */
    long size() {
        return out.size() - start;
    }
}
