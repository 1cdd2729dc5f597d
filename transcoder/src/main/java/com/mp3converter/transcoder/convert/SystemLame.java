package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The system's LAME ({@code libmp3lame.so.0}, Debian's {@code libmp3lame0}) through the Java FFM API: the same
 * encoder the distribution's {@code ffmpeg} uses, about three times faster than the one built into the bytedeco
 * jar. Appends the frames as they are encoded (after the room left for the ID3v2 tag) and, once flushed, patches
 * LAME's Xing/Info tag over the first frame (so players know the length, the encoder delay and padding, and, for
 * VBR, can seek).
 */
final class SystemLame implements Mp3Encoder {
    private static final Logger LOG = Logger.getLogger(SystemLame.class.getName());
    private static final int MONO = 3;
    private static final int JOINT_STEREO = 1;
    private static final int VBR_DEFAULT = 4;

    /** The library's functions, bound once per process. */
    static final class Library {
        private final String version;
        private final MethodHandle init;
        private final MethodHandle setInt;
        private final MethodHandle setBrate;
        private final MethodHandle setMode;
        private final MethodHandle setVbr;
        private final MethodHandle setVbrQuality;
        private final MethodHandle setInRate;
        private final MethodHandle setOutRate;
        private final MethodHandle setVbrTag;
        private final MethodHandle setId3Automatic;
        private final MethodHandle initParams;
        private final MethodHandle encodeInterleaved;
        private final MethodHandle encodePlanar;
        private final MethodHandle flush;
        private final MethodHandle lametag;
        private final MethodHandle close;

        private Library(SymbolLookup lame) {
            Linker linker = Linker.nativeLinker();
            FunctionDescriptor setter = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
            init = linker.downcallHandle(find(lame, "lame_init"), FunctionDescriptor.of(ValueLayout.ADDRESS));
            setInt = linker.downcallHandle(find(lame, "lame_set_num_channels"), setter);
            setBrate = linker.downcallHandle(find(lame, "lame_set_brate"), setter);
            setMode = linker.downcallHandle(find(lame, "lame_set_mode"), setter);
            setVbr = linker.downcallHandle(find(lame, "lame_set_VBR"), setter);
            setVbrQuality = linker.downcallHandle(find(lame, "lame_set_VBR_quality"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_FLOAT));
            setInRate = linker.downcallHandle(find(lame, "lame_set_in_samplerate"), setter);
            setOutRate = linker.downcallHandle(find(lame, "lame_set_out_samplerate"), setter);
            setVbrTag = linker.downcallHandle(find(lame, "lame_set_bWriteVbrTag"), setter);
            setId3Automatic = linker.downcallHandle(find(lame, "lame_set_write_id3tag_automatic"),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            initParams = linker.downcallHandle(find(lame, "lame_init_params"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            encodeInterleaved = linker.downcallHandle(find(lame, "lame_encode_buffer_interleaved_ieee_float"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            encodePlanar = linker.downcallHandle(find(lame, "lame_encode_buffer_ieee_float"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            flush = linker.downcallHandle(find(lame, "lame_encode_flush"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            lametag = linker.downcallHandle(find(lame, "lame_get_lametag_frame"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            close = linker.downcallHandle(find(lame, "lame_close"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MethodHandle versionOf = linker.downcallHandle(find(lame, "get_lame_version"), FunctionDescriptor.of(ValueLayout.ADDRESS));
            try {
                version = ((MemorySegment) versionOf.invokeExact()).reinterpret(64).getString(0);
            } catch (Throwable e) {
                throw new IllegalStateException("get_lame_version failed", e);
            }
        }

        /** The library by this name (found the way the system's loader finds libraries), or empty when it is not there. */
        static Optional<Library> load(String name) {
            try {
                return Optional.of(new Library(SymbolLookup.libraryLookup(name, Arena.global())));
            } catch (IllegalArgumentException | IllegalStateException | UnsatisfiedLinkError e) {
                LOG.fine(() -> name + " cannot be loaded: " + e.getMessage());
                return Optional.empty();
            }
        }

        String version() {
            return version;
        }

        private static MemorySegment find(SymbolLookup lame, String symbol) {
            return lame.find(symbol).orElseThrow(() -> new IllegalStateException("libmp3lame has no " + symbol));
        }
    }

    private final Library lame;
    private final MemorySegment flags;
    private final Mp3Output out;
    private final long tagPosition;
    private final int channels;
    private final Arena arena = Arena.ofConfined();
    private MemorySegment mp3Buffer;

    /** Appends the MP3 frames to {@code out} as they are encoded, after what it holds (the tag's room). */
    SystemLame(Library lame, Mp3Output out, Format format, Mp3Converter.Options options) throws ConversionException {
        this.lame = lame;
        this.out = out;
        this.channels = format.channels();
        tagPosition = out.size();
        try {
            flags = (MemorySegment) lame.init.invokeExact();
            if (flags.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("lame_init returned nothing");
            }
            check((int) lame.setInt.invokeExact(flags, channels));
            check((int) lame.setInRate.invokeExact(flags, format.inRate()));
            check((int) lame.setOutRate.invokeExact(flags, format.outRate()));
            check((int) lame.setMode.invokeExact(flags, channels == 1 ? MONO : JOINT_STEREO));
            if (options.vbrQuality() != null) {
                check((int) lame.setVbr.invokeExact(flags, VBR_DEFAULT));
                check((int) lame.setVbrQuality.invokeExact(flags, (float) (int) options.vbrQuality()));
            } else {
                check((int) lame.setBrate.invokeExact(flags, Mp3Converter.bitrateKbps(options, format.outRate())));
            }
            check((int) lame.setVbrTag.invokeExact(flags, 1));
            lame.setId3Automatic.invokeExact(flags, 0);
            check((int) lame.initParams.invokeExact(flags));
        } catch (ConversionException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(int result) throws ConversionException {
        if (result < 0) {
            throw ConversionException.permanent(ConversionException.UNSUPPORTED,
                    Mp3Converter.CANNOT_ENCODE, new IllegalStateException("LAME refused a setting (" + result + ")"));
        }
    }

    @Override
    public void encode(MemorySegment samples, int frames) throws IOException {
        int room = (int) (1.25 * frames + 7200);
        if (mp3Buffer == null || mp3Buffer.byteSize() < room) {
            mp3Buffer = arena.allocate(room);
        }
        int written;
        try {
            written = channels == 1
                    ? (int) lame.encodePlanar.invokeExact(flags, samples, samples, frames, mp3Buffer, room)
                    : (int) lame.encodeInterleaved.invokeExact(flags, samples, frames, mp3Buffer, room);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (written < 0) {
            throw new IOException("LAME could not encode (" + written + ")");
        }
        write(written);
    }

    @Override
    public long finish() throws IOException {
        try {
            MemorySegment last = arena.allocate(7200);
            int written = (int) lame.flush.invokeExact(flags, last, 7200);
            if (written < 0) {
                throw new IOException("LAME could not flush (" + written + ")");
            }
            mp3Buffer = last;
            write(written);
            MemorySegment tag = arena.allocate(INFO_FRAME_BYTES);
            long size = (long) lame.lametag.invokeExact(flags, tag, (long) INFO_FRAME_BYTES);
            if (size > 0 && size <= INFO_FRAME_BYTES) {
                out.patch(tagPosition, tag.asSlice(0, size).asByteBuffer());
            }
            return out.size();
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private void write(int length) throws IOException {
        out.append(mp3Buffer.asSlice(0, length).asByteBuffer());
    }

    @Override
    public void close() {
        try {
            int ignored = (int) lame.close.invokeExact(flags);
        } catch (Throwable e) {
            LOG.fine(() -> "closing the encoder: " + e);
        }
        arena.close();
    }
}
