package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Encodes interleaved 32-bit float samples (-1..1) into the MP3 frames of a file it owns, from {@code audioStart}
 * on: the bytes before it are the ID3 tag's, written by the converter once the audio is done.
 */
interface Mp3Encoder extends AutoCloseable {
    /** {@code frames} samples per channel, interleaved in {@code samples}. */
    void encode(MemorySegment samples, int frames) throws IOException;

    /** Flushes and completes the frames (with their Xing/Info header); the file's size in bytes. */
    long finish() throws IOException;

    @Override
    void close();

    /** What the encoder is given and makes: channels (1 or 2), the input's sample rate and the MP3's. */
    record Format(int channels, int inRate, int outRate) {
    }

    /**
     * Puts the MP3 frames FFmpeg's muxer wrote into {@code frames} (with no ID3 tag of its own) into
     * {@code target} from {@code audioStart}, and deletes {@code frames}; the target's size.
     */
    static long placeAfterTag(Path frames, Path target, long audioStart) throws IOException {
        try (FileChannel in = FileChannel.open(frames, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            for (long done = 0; done < size; ) {
                done += out.transferFrom(in.position(done), audioStart + done, size - done);
            }
            return audioStart + size;
        } finally {
            Files.deleteIfExists(frames);
        }
    }
}
