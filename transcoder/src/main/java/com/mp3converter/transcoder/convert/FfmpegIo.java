package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.ffmpeg.avformat.Write_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * FFmpeg reading a {@link Source} and writing an {@link Mp3Output} through our own callbacks (an AVIOContext)
 * instead of a file name: for the raw libavformat calls (the probe, the cover, the copier); JavaCV's grabber and
 * recorder take the same {@link Source.Stream} and {@link MuxedOutput} as streams. One instance of each callback
 * serves every context (JavaCPP makes a native thunk per instance), finding its stream by the opaque pointer.
 */
final class FfmpegIo implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FfmpegIo.class.getName());
    private static final int BUFFER_BYTES = 256 * 1024;
    private static final int SEEK_SIZE = 0x10000;
    private static final int SEEK_FORCE = 0x20000;
    private static final Map<Long, FfmpegIo> OPEN = new ConcurrentHashMap<>();
    private static final Read READ = new Read();
    private static final Write WRITE = new Write();
    private static final Seek SEEK = new Seek();

    private final Pointer opaque = avutil.av_malloc(1);
    private final Source.Stream input;
    private final MuxedOutput output;
    private final AVIOContext context;

    private FfmpegIo(Source.Stream input, MuxedOutput output) {
        this.input = input;
        this.output = output;
        OPEN.put(opaque.address(), this);
        context = avformat.avio_alloc_context(new BytePointer(avutil.av_malloc(BUFFER_BYTES)), BUFFER_BYTES,
                output == null ? 0 : 1, opaque, output == null ? READ : null, output == null ? null : WRITE, SEEK);
    }

    /** An AVIOContext writing into {@code output}; set it as an output context's {@code pb}. */
    static FfmpegIo writing(MuxedOutput output) {
        return new FfmpegIo(null, output);
    }

    AVIOContext context() {
        return context;
    }

    /** An input context over {@code source} with these options (the whitelists), or null when FFmpeg cannot open it. */
    static Input open(Source source, AVDictionary options) {
        FfmpegIo io = new FfmpegIo(source.stream(), null);
        AVFormatContext format = avformat.avformat_alloc_context();
        format.pb(io.context);
        if (avformat.avformat_open_input(format, (String) null, null, options) < 0) {
            io.close(); // FFmpeg freed the format context itself
            return null;
        }
        return new Input(format, io);
    }

    /** An opened input: the format context and the I/O under it, closed together. */
    record Input(AVFormatContext format, FfmpegIo io) implements AutoCloseable {
        @Override
        public void close() {
            avformat.avformat_close_input(format);
            io.close();
        }
    }

    @Override
    public void close() {
        if (context.buffer() != null) {
            avutil.av_free(context.buffer());
        }
        avformat.avio_context_free(context);
        OPEN.remove(opaque.address());
        avutil.av_free(opaque);
    }

    private static FfmpegIo of(Pointer opaque) {
        return OPEN.get(opaque.address());
    }

    private static final class Read extends Read_packet_Pointer_BytePointer_int {
        Read() {
            retainReference();
        }

        @Override
        public int call(Pointer opaque, BytePointer buffer, int size) {
            try {
                int read = of(opaque).input.read(buffer.capacity(size).asByteBuffer());
                return read < 0 ? avutil.AVERROR_EOF() : read;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "reading the source for FFmpeg", e);
                return avutil.AVERROR_EXTERNAL;
            }
        }
    }

    private static final class Write extends Write_packet_Pointer_BytePointer_int {
        Write() {
            retainReference();
        }

        @Override
        public int call(Pointer opaque, BytePointer buffer, int size) {
            try {
                of(opaque).output.write(buffer.capacity(size).asByteBuffer());
                return size;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "writing FFmpeg's output", e);
                return avutil.AVERROR_EXTERNAL;
            }
        }
    }

    private static final class Seek extends Seek_Pointer_long_int {
        Seek() {
            retainReference();
        }

        @Override
        public long call(Pointer opaque, long offset, int whence) {
            FfmpegIo io = of(opaque);
            int how = whence & ~SEEK_FORCE;
            try {
                if (how == SEEK_SIZE) {
                    return io.input != null ? io.input.length() : io.output.size();
                }
                return io.input != null ? io.input.seek(offset, how) : io.output.seekTo(offset, how);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "seeking for FFmpeg", e);
                return avutil.AVERROR_EXTERNAL;
            }
        }
    }
}
