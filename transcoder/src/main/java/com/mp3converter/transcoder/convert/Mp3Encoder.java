package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Encodes interleaved 32-bit float samples (-1..1) into an MP3 file it owns. */
interface Mp3Encoder extends AutoCloseable {
    /** {@code frames} samples per channel, interleaved in {@code samples}. */
    void encode(MemorySegment samples, int frames) throws IOException;

    /** Flushes and completes the file; its size in bytes. */
    long finish() throws IOException;

    @Override
    void close();

    /** What the encoder is given and makes: channels (1 or 2), the input's sample rate and the MP3's. */
    record Format(int channels, int inRate, int outRate) {
    }
}
