package com.mp3converter.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import com.mp3converter.common.server.Threads;

/**
 * Copies a stream on two threads: a virtual thread reads ahead (GridFS fetching the next chunks from MongoDB) while
 * the caller writes what was read (to the client's socket), so the store's round trips and the client's reading
 * overlap instead of taking turns. At most {@code blocks} buffers of {@code blockBytes} are held.
 */
final class ReadAhead {
    private static final Block END = new Block(null, 0, null);

    private ReadAhead() {
    }

    private record Block(byte[] data, int length, Exception failure) {
    }

    /** Copies exactly {@code length} bytes; an {@link IOException} if {@code in} ends sooner or fails. */
    static void copy(InputStream in, OutputStream out, long length, int blocks, int blockBytes) throws IOException {
        BlockingQueue<Block> read = new ArrayBlockingQueue<>(blocks);
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(blocks + 1);
        for (int i = 0; i <= blocks; i++) {
            free.add(new byte[(int) Math.min(blockBytes, Math.max(length, 1))]);
        }
        Thread reader = Thread.ofVirtual().name("read-ahead").start(() -> readInto(in, length, read, free));
        try {
            for (long left = length; left > 0; ) {
                Block block = read.take();
                if (block.failure() != null) {
                    throw block.failure() instanceof IOException e ? e : new IOException(block.failure());
                }
                if (block == END) {
                    throw new IOException("the stored file is shorter than recorded");
                }
                out.write(block.data(), 0, block.length());
                left -= block.length();
                free.put(block.data());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while sending");
        } finally {
            reader.interrupt();
            Threads.awaitEnd(reader);
        }
    }

    private static void readInto(InputStream in, long length, BlockingQueue<Block> read, BlockingQueue<byte[]> free) {
        try {
            for (long left = length; left > 0; ) {
                byte[] buffer = free.take();
                int n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, left));
                if (n == 0) {
                    read.put(END);
                    return;
                }
                read.put(new Block(buffer, n, null));
                left -= n;
            }
        } catch (InterruptedException e) {
            // the sender stopped (the client went away)
        } catch (Exception e) {
            try { // waits for room like a block: the sender may be behind with the read-ahead full
                read.put(new Block(null, 0, e));
            } catch (InterruptedException stopped) {
                // the sender stopped meanwhile
            }
        }
    }
}
