package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where an MP3 goes while it is made: bytes appended in order as they are encoded, and its head (the ID3 tag's
 * room and the Info frame after it, only known at the end) overwritten once the audio is done. The transcoder
 * streams it into GridFS; tests, benchmarks and the demo write a file.
 */
public interface Mp3Output {
    /** Appends all of {@code bytes}. */
    void append(ByteBuffer bytes) throws IOException;

    /** Overwrites bytes already appended, from {@code position}, within the head. */
    void patch(long position, ByteBuffer bytes) throws IOException;

    /** The bytes appended so far. */
    long size();

    /**
     * Why storing failed, when it did for a reason of its own (storage unreachable): FFmpeg's muxer reports only
     * that it could not write, and such a failure is temporary, not the file's fault.
     */
    default Exception failure() {
        return null;
    }

    /** A file, created or truncated; close it when done. */
    static FileOutput to(Path file) throws IOException {
        return new FileOutput(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING));
    }

    /** An MP3 written to a local file. */
    final class FileOutput implements Mp3Output, AutoCloseable {
        private final FileChannel file;
        private long size;

        private FileOutput(FileChannel file) {
            this.file = file;
        }

        @Override
        public void append(ByteBuffer bytes) throws IOException {
            while (bytes.hasRemaining()) {
                size += file.write(bytes, size);
            }
        }

        @Override
        public void patch(long position, ByteBuffer bytes) throws IOException {
            if (position + bytes.remaining() > size) {
                throw new IOException("a patch past the end of the MP3");
            }
            while (bytes.hasRemaining()) {
                position += file.write(bytes, position);
            }
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
