package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/** The ID3v2.4 tag at the head of an MP3: the title, in UTF-8. */
final class Id3v2 {
    private Id3v2() {
    }

    /** Writes the tag at the channel's position; its size in bytes. */
    static int write(FileChannel out, String title) throws IOException {
        byte[] text = title.getBytes(StandardCharsets.UTF_8);
        int frameSize = 1 + text.length;
        int tagSize = 10 + frameSize;
        ByteBuffer tag = ByteBuffer.allocate(10 + tagSize);
        tag.put("ID3".getBytes(StandardCharsets.US_ASCII)).put((byte) 4).put((byte) 0).put((byte) 0).put(synchsafe(tagSize));
        tag.put("TIT2".getBytes(StandardCharsets.US_ASCII)).put(synchsafe(frameSize)).put((byte) 0).put((byte) 0);
        tag.put((byte) 3).put(text).flip(); // 3: UTF-8
        int written = 0;
        while (tag.hasRemaining()) {
            written += out.write(tag);
        }
        return written;
    }

    private static byte[] synchsafe(int size) {
        return new byte[] {(byte) (size >> 21 & 0x7F), (byte) (size >> 14 & 0x7F), (byte) (size >> 7 & 0x7F), (byte) (size & 0x7F)};
    }
}
