package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Audio to MP3: JavaCV/FFmpeg demuxes and decodes the audio only ({@code grabSamples()} never decodes a video
 * frame) of the stream FFmpeg itself would pick, on one thread, while LAME encodes on another — the system's
 * {@code libmp3lame.so.0} through FFM when it is there, the one in the bytedeco build otherwise. CBR (default
 * 192 kb/s) or a VBR quality; the channels kept (more than two are downmixed: MP3 has at most two); the sample
 * rate kept where MP3 allows it; the ID3 title from the original name. An MP3 stream without options is copied
 * packet by packet. Inputs are opened with the media demuxers and the {@code file} protocol only: a playlist or
 * manifest that points elsewhere is refused like any other unreadable file, in the same words.
 */
public final class Mp3Converter {
    private static final Logger LOG = Logger.getLogger(Mp3Converter.class.getName());
    private static final int[] MP3_RATES = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    /** The demuxers of the containers the gateway accepts; nothing that follows links (dash, hls, concat...). */
    static final String DEMUXERS = "mov,matroska,avi,wav,aiff,ogg,flac,flv,asf,mpeg,mpegts,mp3,aac,amr";
    public static final int DEFAULT_BITRATE_KBPS = 192;
    static final String DAMAGED = "the file is damaged or incomplete, or is not a video or audio file we can read";
    static final String CANNOT_ENCODE = "the sound of this file could not be turned into an MP3";
    static final String NO_AUDIO = "the file has no audio stream, so there is nothing to turn into an MP3";
    private static final int CHUNK_FRAMES = 8192;
    private static final int CHUNKS = 16;

    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        FFmpegLogCallback.set();
    }

    private final Optional<SystemLame.Library> lame;

    /** What to produce: either a CBR bitrate in kb/s or a LAME VBR quality (0 best .. 9). */
    public record Options(Integer bitrateKbps, Integer vbrQuality) {
        public static final Options DEFAULT = new Options(null, null);

        boolean isDefault() {
            return bitrateKbps == null && vbrQuality == null;
        }
    }

    /**
     * The MP3 written: the audio's duration, sample rate, channels, whether packets were copied, its size, and how
     * many video frames the decoding handed over (0: no picture was decoded, as it should be).
     */
    public record Result(double durationSeconds, int sampleRate, int channels, boolean copied, long bytes,
                         long videoFrames) {
    }

    /** With the system's LAME of this name ({@code libmp3lame.so.0}) if it loads, else the bundled encoder. */
    public Mp3Converter(String lameLibrary) {
        this.lame = SystemLame.Library.load(lameLibrary);
        if (lame.isPresent()) {
            LOG.info(() -> "MP3 encoder: the system's LAME " + lame.get().version() + " (" + lameLibrary + ")");
        } else {
            LOG.warning(lameLibrary + " is not installed (Debian/Ubuntu: apt-get install libmp3lame0): encoding with "
                    + "the LAME bundled in FFmpeg's jar instead, about three times slower");
        }
    }

    public Mp3Converter() {
        this("libmp3lame.so.0");
    }

    /** Which encoder converts: {@code system} or {@code bundled}. */
    public String encoder() {
        return lame.isPresent() ? "system" : "bundled";
    }

    /** The encoder's version, or {@code unknown} for the bundled one. */
    public String encoderVersion() {
        return lame.map(SystemLame.Library::version).orElse("unknown");
    }

    /** Converts {@code source} into {@code target}; progress (0..1) is reported as decoding advances. */
    public Result convert(Path source, Path target, Options options, String title, DoubleConsumer progress)
            throws ConversionException {
        int audio = defaultAudioStream(source);
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(source.toFile())) {
            restrict(grabber);
            grabber.setAudioStream(audio);
            grabber.setSampleMode(FrameGrabber.SampleMode.FLOAT);
            start(grabber);
            if (grabber.getAudioChannels() <= 0) {
                throw ConversionException.permanent(ConversionException.NO_AUDIO, NO_AUDIO, null);
            }
            int channels = Math.min(2, grabber.getAudioChannels());
            int rate = grabber.getSampleRate();
            if (options.isDefault() && grabber.getAudioCodec() == avcodec.AV_CODEC_ID_MP3 && isMp3Rate(rate)
                    && grabber.getAudioChannels() <= 2) {
                Mp3Copier.copy(grabber, grabber.getAudioStream(), target, title, progress);
                return new Result(grabber.getLengthInTime() / 1e6, rate, channels, true, Files.size(target), 0);
            }
            grabber.setAudioChannels(channels);
            Mp3Encoder.Format format = new Mp3Encoder.Format(channels, rate, mp3Rate(rate));
            Decoded decoded;
            try (Mp3Encoder encoder = open(target, format, options, title)) {
                decoded = encode(grabber, encoder, channels, progress);
                encoder.finish();
            }
            if (decoded.samples() == 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, null);
            }
            return new Result((double) decoded.samples() / rate, format.outRate(), channels, false, Files.size(target),
                    decoded.videoFrames());
        } catch (IOException e) {
            throw new ConversionException(ConversionException.IO, "a temporary file could not be written", false, e);
        }
    }

    private Mp3Encoder open(Path target, Mp3Encoder.Format format, Options options, String title)
            throws IOException, ConversionException {
        return lame.isPresent() ? new SystemLame(lame.get(), target, format, options, title)
                : new BundledEncoder(target, format, options, title);
    }

    /** A decoded piece: {@code frames} samples per channel, interleaved floats; {@code samples} null at the end. */
    private record Chunk(MemorySegment samples, int frames, long timestamp) {
        static final Chunk END = new Chunk(null, 0, 0);
    }

    /** Samples per channel encoded; frames with a picture the decoding handed over. */
    private record Decoded(long samples, long videoFrames) {
    }

    /**
     * Decodes on a second thread into a small pool of native buffers while this thread encodes: on two cores the
     * decoding costs almost nothing beside LAME. The number of samples per channel encoded.
     */
    private static Decoded encode(FFmpegFrameGrabber grabber, Mp3Encoder encoder, int channels, DoubleConsumer progress)
            throws IOException, ConversionException {
        long length = grabber.getLengthInTime();
        BlockingQueue<Chunk> decoded = new ArrayBlockingQueue<>(CHUNKS);
        BlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(CHUNKS + 1);
        AtomicReference<Exception> failed = new AtomicReference<>();
        AtomicLong pictures = new AtomicLong();
        long encoded = 0;
        try (Arena arena = Arena.ofShared()) {
            for (int i = 0; i <= CHUNKS; i++) {
                free.add(arena.allocate((long) CHUNK_FRAMES * channels * Float.BYTES, 16));
            }
            Thread decoder = Thread.ofPlatform().name(Thread.currentThread().getName() + "-decode").start(
                    () -> decode(grabber, channels, arena, free, decoded, failed, pictures));
            try {
                for (Chunk chunk = take(decoded); chunk.samples() != null; chunk = take(decoded)) {
                    encoder.encode(chunk.samples(), chunk.frames());
                    encoded += chunk.frames();
                    free.offer(chunk.samples());
                    if (length > 0) {
                        progress.accept(Math.min(0.99, Math.max(0, (double) chunk.timestamp() / length)));
                    }
                }
            } finally {
                decoder.interrupt();
                join(decoder);
            }
        }
        Exception error = failed.get();
        if (error != null) {
            if (encoded == 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, error);
            }
            LOG.log(Level.WARNING, "decoding stopped early after a damaged part; keeping what was decoded", error);
        }
        return new Decoded(encoded, pictures.get());
    }

    private static void decode(FFmpegFrameGrabber grabber, int channels, Arena arena, BlockingQueue<MemorySegment> free,
                               BlockingQueue<Chunk> decoded, AtomicReference<Exception> failed, AtomicLong pictures) {
        try {
            for (Frame frame = grabber.grabSamples(); frame != null; frame = grabber.grabSamples()) {
                if (frame.image != null) {
                    pictures.incrementAndGet();
                }
                if (frame.samples == null || !(frame.samples[0] instanceof FloatBuffer samples) || !samples.hasRemaining()) {
                    continue;
                }
                MemorySegment from = MemorySegment.ofBuffer(samples);
                MemorySegment to = free.take();
                if (to.byteSize() < from.byteSize()) {
                    to = arena.allocate(from.byteSize(), 16);
                }
                MemorySegment.copy(from, 0, to, 0, from.byteSize());
                decoded.put(new Chunk(to.asSlice(0, from.byteSize()), (int) (from.byteSize() / Float.BYTES / channels),
                        frame.timestamp));
            }
        } catch (InterruptedException e) {
            return; // the encoder stopped
        } catch (Exception e) {
            failed.set(e);
        }
        try {
            decoded.put(Chunk.END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Chunk take(BlockingQueue<Chunk> decoded) throws IOException {
        try {
            return decoded.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while encoding");
        }
    }

    private static void join(Thread decoder) {
        boolean interrupted = false;
        while (decoder.isAlive()) {
            try {
                decoder.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The bitrate to ask for: the requested one, 192 kb/s by default, at most what the MP3 sample rate allows. */
    static int bitrateKbps(Options options, int mp3Rate) {
        int kbps = options.bitrateKbps() == null ? DEFAULT_BITRATE_KBPS : options.bitrateKbps();
        return Math.min(kbps, maxBitrateKbps(mp3Rate));
    }

    /** MPEG-2 and 2.5 Layer III (below 32 kHz) stop at 160 kb/s. */
    static int maxBitrateKbps(int rate) {
        return rate >= 32000 ? 320 : 160;
    }

    /** Media demuxers and local files only, for every open of an upload. */
    private static void restrict(FFmpegFrameGrabber grabber) {
        grabber.setOption("format_whitelist", DEMUXERS);
        grabber.setOption("protocol_whitelist", "file");
    }

    private static void start(FFmpegFrameGrabber grabber) throws ConversionException {
        try {
            grabber.start();
        } catch (FrameGrabber.Exception e) {
            LOG.log(Level.FINE, "FFmpeg cannot open the upload", e);
            throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, e);
        }
    }

    /**
     * The audio stream FFmpeg itself would pick (default disposition, then the best one), or -1 when there is
     * none or the file cannot be opened here (the grabber then says why).
     */
    private static int defaultAudioStream(Path source) {
        AVFormatContext context = new AVFormatContext(null);
        AVDictionary options = new AVDictionary(null);
        avutil.av_dict_set(options, "format_whitelist", DEMUXERS, 0);
        avutil.av_dict_set(options, "protocol_whitelist", "file", 0);
        try {
            if (avformat.avformat_open_input(context, source.toString(), null, options) < 0) {
                return -1;
            }
            try {
                if (avformat.avformat_find_stream_info(context, (AVDictionary) null) < 0) {
                    return -1;
                }
                return avformat.av_find_best_stream(context, avutil.AVMEDIA_TYPE_AUDIO, -1, -1,
                        (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            } finally {
                avformat.avformat_close_input(context);
            }
        } finally {
            avutil.av_dict_free(options);
        }
    }

    static boolean isMp3Rate(int rate) {
        for (int r : MP3_RATES) {
            if (r == rate) {
                return true;
            }
        }
        return false;
    }

    /** The sample rate itself when MP3 allows it, else the nearest allowed one. */
    static int mp3Rate(int rate) {
        int best = 44100;
        for (int r : MP3_RATES) {
            if (Math.abs(r - rate) < Math.abs(best - rate)) {
                best = r;
            }
        }
        return rate <= 0 ? 44100 : best;
    }

    /** The duration of an MP3 file as FFmpeg decodes it (a probe for tests and the demo, not for conversions). */
    public static double durationOf(Path mp3) throws ConversionException {
        try (FFmpegFrameGrabber probe = new FFmpegFrameGrabber(mp3.toFile())) {
            probe.setSampleMode(FrameGrabber.SampleMode.FLOAT);
            probe.start();
            long samples = 0;
            int rate = probe.getSampleRate();
            int channels = Math.max(1, probe.getAudioChannels());
            for (Frame frame = probe.grabSamples(); frame != null; frame = probe.grabSamples()) {
                if (frame.samples != null && frame.samples.length > 0) {
                    samples += frame.samples[0].limit() / (frame.samples.length == 1 ? channels : 1);
                }
            }
            return rate > 0 ? (double) samples / rate : 0;
        } catch (FrameGrabber.Exception e) {
            throw ConversionException.permanent(ConversionException.CORRUPT, "the MP3 cannot be read back", e);
        }
    }
}
