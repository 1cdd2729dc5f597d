package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Encodes interleaved 32-bit float samples (-1..1) into MP3 frames appended to an {@link Mp3Output} after what it
 * already holds (the ID3 tag's room, written by the converter once the audio is done).
 */
interface Mp3Encoder extends AutoCloseable {
    /**
     * The most bytes of the first frame an encoder rewrites when it finishes (LAME's Info tag; FFmpeg's muxer writes
     * a smaller Xing frame): with the tag's room, the head an output must keep until the end.
     */
    int INFO_FRAME_BYTES = 2880;

    /** {@code frames} samples per channel, interleaved in {@code samples}. */
    void encode(MemorySegment samples, int frames) throws IOException;

    /** Flushes and completes the frames (with their Xing/Info header); the MP3's size in bytes so far. */
    long finish() throws IOException;

    @Override
    void close();

    /** What the encoder is given and makes: channels (1 or 2), the input's sample rate and the MP3's. */
    record Format(int channels, int inRate, int outRate) {
    }
}
