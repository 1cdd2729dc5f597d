package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.mp3converter.common.server.Threads;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.global.avcodec;
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
 * rate kept where MP3 allows it. Every MP3 gets an ID3v2.3 tag ({@link Id3Tag}) with the source's tags, its
 * cover ({@link CoverArt}), its chapters and ReplayGain measured on the way ({@link LoudnessMeter}); optionally
 * a loudness target (a measuring pass, then one gain) and a cut ({@link Cut}). An MP3 stream without options
 * that change the sound is copied packet by packet. The upload is read through our own I/O while it may still be
 * arriving ({@link Source}), with the media demuxers only and no protocol: a playlist or manifest that points
 * elsewhere is refused like any other unreadable file, in the same words. The MP3 is written as it is encoded
 * ({@link Mp3Output}): its head, the tag and the Info frame, last. {@link #prepare} fails at once for a file
 * without sound or longer than the limit; {@link Conversion#run} stops when the sound turns out longer.
 */
public final class Mp3Converter {
    private static final Logger LOG = Logger.getLogger(Mp3Converter.class.getName());
    private static final int[] MP3_RATES = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    /** The demuxers of the containers the gateway accepts; nothing that follows links (dash, hls, concat...). */
    static final String DEMUXERS = "mov,matroska,avi,wav,aiff,ogg,flac,flv,asf,mpeg,mpegts,mp3,aac,amr";
    /** FFmpeg's options for opening an upload: see {@link #restrictions()}. */
    private static final Map<String, String> RESTRICTIONS = Map.of("format_whitelist", DEMUXERS,
            "protocol_whitelist", "none");
    /** No limit on the audio's length. */
    public static final Duration UNLIMITED = Duration.ofDays(365L * 100);
    public static final int DEFAULT_BITRATE_KBPS = 192;
    static final String DAMAGED = "the file is damaged or incomplete, or is not a video or audio file we can read";
    static final String CANNOT_ENCODE = "the sound of this file could not be turned into an MP3";
    static final String NO_AUDIO = "the file has no audio stream, so there is nothing to turn into an MP3";
    private static final int CHUNK_FRAMES = 8192;
    private static final int CHUNKS = 16;
    /** ReplayGain 2.0's reference loudness, LUFS. */
    static final double REPLAYGAIN_REFERENCE = -18;
    /** The true peak a normalised MP3's samples may reach, dBTP: −1 less what MP3 encoding may add. */
    static final double PEAK_CEILING_DB = -1.5;

    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        FFmpegLogCallback.set();
    }

    private final Optional<SystemLame.Library> lame;
    private final Duration maxAudio;

    /** Where the cover comes from: the source's picture else a frame, always a frame, or none. */
    public enum Cover { AUTO, FRAME, NONE }

    /**
     * What to produce: a CBR bitrate in kb/s or a LAME VBR quality (0 best .. 9); the title and artist instead of the
     * source's; the cover; a loudness target in LUFS (two passes, one linear gain); the part to convert, in seconds
     * from the source's beginning. Null: the default.
     */
    public record Options(Integer bitrateKbps, Integer vbrQuality, String title, String artist, Cover cover,
                          Double loudness, Double start, Double end) {
        public static final Options DEFAULT = new Options(null, null, null, null, null, null, null, null);

        /** Only the encoding: a bitrate or a VBR quality. */
        public Options(Integer bitrateKbps, Integer vbrQuality) {
            this(bitrateKbps, vbrQuality, null, null, null, null, null, null);
        }

        /** The audio can be copied: nothing asks for a change of the sound itself. */
        boolean keepsTheSound() {
            return bitrateKbps == null && vbrQuality == null && loudness == null && start == null && end == null;
        }

        Cover coverOrDefault() {
            return cover == null ? Cover.AUTO : cover;
        }
    }

    /**
     * The MP3 written: the audio's duration, sample rate, channels, whether packets were copied, its size, how many
     * video frames the audio decoding handed over (0, as it should be), and what could not be done (the cover,
     * chapters, a cut past the end, a loudness target out of reach), in words for the owner.
     */
    public record Result(double durationSeconds, int sampleRate, int channels, boolean copied, long bytes,
                         long videoFrames, List<String> warnings) {
    }

    /** With the system's LAME of this name ({@code libmp3lame.so.0}) if it loads, else the bundled encoder. */
    public Mp3Converter(String lameLibrary, Duration maxAudio) {
        this.lame = SystemLame.Library.load(lameLibrary);
        this.maxAudio = maxAudio;
        if (lame.isPresent()) {
            LOG.info(() -> "MP3 encoder: the system's LAME " + lame.get().version() + " (" + lameLibrary + ")");
        } else {
            LOG.warning(lameLibrary + " is not installed (Debian/Ubuntu: apt-get install libmp3lame0): encoding with "
                    + "the LAME bundled in FFmpeg's jar instead, about three times slower");
        }
    }

    /** The system's LAME, and no limit on the audio's length (tests, benchmarks, the demo). */
    public Mp3Converter() {
        this("libmp3lame.so.0", UNLIMITED);
    }

    /** Which encoder converts: {@code system} or {@code bundled}. */
    public String encoder() {
        return lame.isPresent() ? "system" : "bundled";
    }

    /** The encoder's version, or {@code unknown} for the bundled one. */
    public String encoderVersion() {
        return lame.map(SystemLame.Library::version).orElse("unknown");
    }

    /**
     * Converts the local file {@code source} into the file {@code target}, tagged from the source ({@code fileName} is
     * the title when it has none); progress (0..1) is reported as decoding advances.
     */
    public Result convert(Path source, Path target, Options options, String fileName, DoubleConsumer progress)
            throws ConversionException {
        try (Source in = Source.of(source); Conversion conversion = prepare(in, options, fileName);
             Mp3Output.FileOutput out = Mp3Output.to(target)) {
            return conversion.run(out, progress);
        } catch (IOException e) {
            throw new ConversionException(ConversionException.IO, "a temporary file could not be written", false, e);
        }
    }

    /**
     * Everything a conversion needs before the first sample is encoded, from one probe of {@code source} (which may
     * still be arriving): the stream to decode, the cut, the tag with its cover and chapters, and what the MP3 will
     * be at most; fails at once, with words, for a file without sound or longer than this converter's limit.
     */
    public Conversion prepare(Source source, Options options, String fileName) throws ConversionException {
        return prepare(probe(source, options), fileName);
    }

    /**
     * One look at {@code source}: its sound and how long the part to convert is; fails at once, with words, for a file
     * that is not media, one without sound, and one longer than this converter's limit.
     */
    public Probed probe(Source source, Options options) throws ConversionException {
        SourceProbe probe = SourceProbe.of(source);
        if (probe == SourceProbe.UNREADABLE) {
            throwIfSourceFailed(source);
            throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, null);
        }
        if (probe.audioStream() < 0) {
            throw ConversionException.permanent(ConversionException.NO_AUDIO, NO_AUDIO, null);
        }
        Cut cut = Cut.of(options, probe);
        double seconds = cut.lengthMicros(probe.durationMicros()) / 1e6;
        if (seconds > maxAudio.toSeconds()) {
            throw tooLong(Math.round(seconds * 1e6), "is ");
        }
        return new Probed(source, probe, options, cut, seconds);
    }

    /** What {@link #probe} found, for {@link #prepare(Probed, String)}. */
    public static final class Probed {
        private final Source source;
        private final SourceProbe probe;
        private final Options options;
        private final Cut cut;
        private final double seconds;

        private Probed(Source source, SourceProbe probe, Options options, Cut cut, double seconds) {
            this.source = source;
            this.probe = probe;
            this.options = options;
            this.cut = cut;
            this.seconds = seconds;
        }

        /** The sound to convert, in seconds, as the container tells it (0: it does not say). */
        public double seconds() {
            return seconds;
        }
    }

    /** The rest of {@link #prepare(Source, Options, String)} after the probe: the audio opened, the cover and tag made. */
    public Conversion prepare(Probed probed, String fileName) throws ConversionException {
        Source source = probed.source;
        SourceProbe probe = probed.probe;
        Options options = probed.options;
        FFmpegFrameGrabber grabber = open(source, probe.audioStream());
        try {
            List<String> warnings = new ArrayList<>();
            List<SourceProbe.Chapter> chapters = chapters(probe, probed.cut, warnings);
            Id3Tag.Cover cover = cover(source, probe, options.coverOrDefault(), probed.cut, warnings);
            throwIfSourceFailed(source);
            Id3Tag tag = new Id3Tag(Tags.of(probe.tags(), options.title(), options.artist(), fileName), cover,
                    chapters.stream().map(SourceProbe.Chapter::title).toList());
            return new Conversion(source, probe, grabber, options, probed.cut, chapters, tag, warnings, probed.seconds);
        } catch (ConversionException | RuntimeException e) {
            close(grabber);
            throw e;
        }
    }

    /** A conversion ready to run: probed, its tag made, its audio opened; close it (run does) to let go of FFmpeg. */
    public final class Conversion implements AutoCloseable {
        private final Source source;
        private final SourceProbe probe;
        private final FFmpegFrameGrabber grabber;
        private final Options options;
        private final Cut cut;
        private final List<SourceProbe.Chapter> chapters;
        private final Id3Tag tag;
        private final List<String> warnings;
        private final double seconds;
        private final int channels;
        private final int rate;
        private final boolean copied;

        private Conversion(Source source, SourceProbe probe, FFmpegFrameGrabber grabber, Options options, Cut cut,
                           List<SourceProbe.Chapter> chapters, Id3Tag tag, List<String> warnings, double seconds) {
            this.source = source;
            this.probe = probe;
            this.grabber = grabber;
            this.options = options;
            this.cut = cut;
            this.chapters = chapters;
            this.tag = tag;
            this.warnings = warnings;
            this.seconds = seconds;
            this.channels = Math.min(2, grabber.getAudioChannels());
            this.rate = grabber.getSampleRate();
            this.copied = options.keepsTheSound() && grabber.getAudioCodec() == avcodec.AV_CODEC_ID_MP3
                    && isMp3Rate(rate) && grabber.getAudioChannels() <= 2;
        }

        /** The audio to convert, in seconds, as the container tells it (0: it does not say). */
        public double seconds() {
            return seconds;
        }

        /**
         * The bytes of the MP3 at most: the head, and the audio at its bitrate (the highest the sample rate allows
         * for VBR and copies); the limit's length when the container does not say.
         */
        public long mp3BytesAtMost() {
            int outRate = copied ? rate : mp3Rate(rate);
            int kbps = options.vbrQuality() == null && !copied ? bitrateKbps(options, outRate) : maxBitrateKbps(outRate);
            double audio = seconds > 0 ? seconds : maxAudio.toSeconds();
            return head() + (long) Math.ceil(audio * kbps * 125 * 1.01);
        }

        /** The bytes at the MP3's start that are only final at the end: the tag's room and the Info frame after it. */
        public long head() {
            return tag.size() + Mp3Encoder.INFO_FRAME_BYTES;
        }

        /** Writes the MP3 into {@code out} as it is encoded; progress (0..1) as decoding advances. */
        public Result run(Mp3Output out, DoubleConsumer progress) throws ConversionException {
            try (this) {
                out.append(ByteBuffer.allocate((int) tag.size()));
                LoudnessMeter meter = new LoudnessMeter(channels, rate, false);
                long origin;
                long samples;
                int outRate = copied ? rate : mp3Rate(rate);
                long videoFrames = 0;
                if (copied) {
                    Mp3Copier.Copied copy = Mp3Copier.copy(grabber, grabber.getAudioStream(), out, meter, progress);
                    throwIfSourceFailed(source);
                    origin = copy.firstMicros();
                    samples = Math.round(grabber.getLengthInTime() / 1e6 * rate);
                } else {
                    float gain = 1;
                    DoubleConsumer encodeProgress = progress;
                    if (options.loudness() != null) {
                        LoudnessMeter before = new LoudnessMeter(channels, rate, true);
                        Decoded measured = decode(grabber, source, channels, cut, 1, null,
                                (chunk, frames) -> before.add(chunk, frames), p -> progress.accept(p * 0.4));
                        gain = (float) gain(options.loudness(), before, warnings);
                        encodeProgress = p -> progress.accept(0.4 + 0.6 * p);
                        if (measured.samples() == 0) {
                            throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, null);
                        }
                        grabber.restart();
                    }
                    Mp3Encoder.Format format = new Mp3Encoder.Format(channels, rate, outRate);
                    Decoded decoded;
                    try (Mp3Encoder encoder = open(out, format, options)) {
                        decoded = decode(grabber, source, channels, cut, gain, meter, encoder::encode, encodeProgress);
                        encoder.finish();
                    }
                    if (decoded.samples() == 0) {
                        throw cut.startMicros() > 0 ? cut.pastTheEnd(probe) : ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, null);
                    }
                    cut.warnIfShort(decoded.samples(), rate, warnings);
                    origin = decoded.firstMicros();
                    samples = decoded.samples();
                    videoFrames = decoded.videoFrames();
                }
                double length = (double) samples / rate;
                out.patch(0, ByteBuffer.wrap(tag.render(mp3Chapters(chapters, origin, Math.round(length * 1000)),
                        replayGain(meter))));
                return new Result(length, outRate, channels, copied, out.size(), videoFrames, List.copyOf(warnings));
            } catch (ConversionException | IOException e) {
                throwIfSourceFailed(source);
                if (out.failure() != null) {
                    throw new ConversionException(ConversionException.IO, "the MP3 could not be stored", false, out.failure());
                }
                throw e instanceof ConversionException c ? c
                        : new ConversionException(ConversionException.IO, "the MP3 could not be written", false, e);
            }
        }

        @Override
        public void close() {
            Mp3Converter.close(grabber);
        }
    }

    /** The words for sound past this converter's limit: {@code what} says how long it is (or is found to be). */
    private ConversionException tooLong(long micros, String what) {
        return ConversionException.permanent(ConversionException.TOO_LONG, "the sound to convert " + what
                + Cut.clock(micros) + " long or more, and a job may convert at most " + Cut.clock(maxAudio.toSeconds()
                * 1_000_000) + ": convert a part of it (start and end), or split the file", null);
    }

    /**
     * When reading the source failed for a reason of its own (the download, the deadline), that is the outcome, not
     * whatever FFmpeg made of the bytes it did not get.
     */
    static void throwIfSourceFailed(Source source) throws ConversionException {
        Exception failure = source.failure();
        if (failure instanceof ConversionException stopped) {
            throw stopped;
        }
        if (failure != null) {
            throw new ConversionException(ConversionException.IO, "the uploaded video could not be read", false, failure);
        }
    }

    /** The grabber on the audio stream FFmpeg would pick, decoding to float; permanent failures when there is none. */
    private static FFmpegFrameGrabber open(Source source, int audio) throws ConversionException {
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(source.stream());
        restrict(grabber);
        grabber.setAudioStream(audio);
        grabber.setSampleMode(FrameGrabber.SampleMode.FLOAT);
        try {
            start(grabber, source);
            if (grabber.getAudioChannels() <= 0) {
                throw ConversionException.permanent(ConversionException.NO_AUDIO, NO_AUDIO, null);
            }
            grabber.setAudioChannels(Math.min(2, grabber.getAudioChannels()));
            return grabber;
        } catch (ConversionException | RuntimeException e) {
            close(grabber);
            throw e;
        }
    }

    private static void close(FFmpegFrameGrabber grabber) {
        try {
            grabber.close();
        } catch (FrameGrabber.Exception ignored) {
            // closing what could not be used
        }
    }

    private Mp3Encoder open(Mp3Output out, Mp3Encoder.Format format, Options options)
            throws IOException, ConversionException {
        return lame.isPresent() ? new SystemLame(lame.get(), out, format, options) : new BundledEncoder(out, format, options);
    }

    /** The cover the options ask for; a picture that cannot be read or made is left out, and the owner told. */
    private static Id3Tag.Cover cover(Source source, SourceProbe probe, Cover wanted, Cut cut, List<String> warnings) {
        if (wanted == Cover.NONE) {
            return null;
        }
        try {
            if (wanted == Cover.AUTO && probe.picture() != null) {
                return CoverArt.of(probe.picture());
            }
            if (probe.hasVideo()) {
                return CoverArt.frame(source, probe.videoStream(), probe.startMicros() + cut.startMicros());
            }
            if (wanted == Cover.FRAME) {
                warnings.add("no cover: the file has no video to take a frame from");
            }
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.INFO, "no cover", e);
            warnings.add(wanted == Cover.AUTO && probe.picture() != null
                    ? "no cover: the file's picture could not be read" : "no cover: no frame of the video could be read");
            return null;
        }
    }

    /** The source's chapters that overlap the part converted; those that cannot be used are left out, with words. */
    private static List<SourceProbe.Chapter> chapters(SourceProbe probe, Cut cut, List<String> warnings) {
        List<SourceProbe.Chapter> kept = new ArrayList<>();
        int unusable = 0;
        long from = probe.startMicros() + cut.startMicros();
        long to = cut.endMicros() == Long.MAX_VALUE ? Long.MAX_VALUE : probe.startMicros() + cut.endMicros();
        for (SourceProbe.Chapter chapter : probe.chapters()) {
            if (chapter.endMicros() <= chapter.startMicros() || chapter.startMicros() < 0) {
                unusable++;
            } else if (chapter.endMicros() > from && chapter.startMicros() < to) {
                kept.add(chapter);
            }
        }
        if (unusable > 0) {
            warnings.add(unusable + (unusable == 1 ? " chapter was" : " chapters were")
                    + " left out: " + (unusable == 1 ? "its times are" : "their times are") + " not valid");
        }
        if (kept.size() > Id3Tag.MAX_CHAPTERS) {
            warnings.add("only the first " + Id3Tag.MAX_CHAPTERS + " of " + kept.size() + " chapters were kept");
            return kept.subList(0, Id3Tag.MAX_CHAPTERS);
        }
        return kept;
    }

    /** The chapters' times in ms from the MP3's first sample ({@code origin} in the source's timeline), clipped to it. */
    private static List<Id3Tag.Chapter> mp3Chapters(List<SourceProbe.Chapter> chapters, long origin, long lengthMs) {
        return chapters.stream().map(c -> new Id3Tag.Chapter(
                Math.clamp(Math.round((c.startMicros() - origin) / 1000.0), 0, lengthMs),
                Math.clamp(Math.round((c.endMicros() - origin) / 1000.0), 0, lengthMs), c.title())).toList();
    }

    /** ReplayGain 2.0 (reference −18 LUFS) from what was encoded; null for silence or under 0.4 s. */
    private static Id3Tag.ReplayGain replayGain(LoudnessMeter meter) {
        double lufs = meter.integrated();
        return Double.isInfinite(lufs) ? null : new Id3Tag.ReplayGain(REPLAYGAIN_REFERENCE - lufs, meter.peak());
    }

    /**
     * The one gain that brings the measured loudness to the target (FFmpeg's {@code loudnorm} in its linear mode),
     * held down so the true peak stays at {@link #PEAK_CEILING_DB} (half a dB under −1 dBTP, for what MP3
     * encoding adds to peaks); the owner is told when that keeps the MP3 quieter than asked.
     */
    private static double gain(double target, LoudnessMeter measured, List<String> warnings) {
        double lufs = measured.integrated();
        if (Double.isInfinite(lufs)) {
            warnings.add("not normalised: the sound is silent or shorter than 0.4 s");
            return 1;
        }
        double wanted = target - lufs;
        double peakDb = 20 * Math.log10(Math.max(1e-9, measured.peak()));
        double allowed = PEAK_CEILING_DB - peakDb;
        if (wanted > allowed) {
            warnings.add(String.format(Locale.ROOT, "normalised to %.1f LUFS, not %.1f: louder would push its peaks "
                    + "over -1 dBTP", lufs + allowed, target));
            wanted = allowed;
        }
        return Math.pow(10, wanted / 20);
    }

    /** Where to receive decoded chunks on the consuming thread. */
    @FunctionalInterface
    private interface Sink {
        void accept(MemorySegment samples, int frames) throws IOException;
    }

    /** A decoded piece: {@code frames} samples per channel, interleaved floats; {@code samples} null at the end. */
    private record Chunk(MemorySegment samples, int frames, long timestamp) {
        static final Chunk END = new Chunk(null, 0, 0);
    }

    /** Samples per channel delivered, the time of the first (µs, source timeline), frames with a picture. */
    private record Decoded(long samples, long firstMicros, long videoFrames) {
    }

    /**
     * Decodes the part {@code cut} asks for on a second thread into a small pool of native buffers (multiplied by
     * {@code gain}, measured by {@code meter} when given) while this thread hands them to {@code sink}: on two cores
     * the decoding costs almost nothing beside LAME.
     */
    private Decoded decode(FFmpegFrameGrabber grabber, Source source, int channels, Cut cut, float gain,
                           LoudnessMeter meter, Sink sink, DoubleConsumer progress) throws IOException, ConversionException {
        long length = cut.lengthMicros(grabber.getLengthInTime());
        long maxFrames = (maxAudio.toSeconds() + 1) * grabber.getSampleRate();
        cut.seek(grabber);
        BlockingQueue<Chunk> decoded = new ArrayBlockingQueue<>(CHUNKS);
        BlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(CHUNKS + 1);
        AtomicReference<Exception> failed = new AtomicReference<>();
        AtomicLong pictures = new AtomicLong();
        Trim trim = cut.trim(grabber.getSampleRate());
        long encoded = 0;
        try (Arena arena = Arena.ofShared()) {
            for (int i = 0; i <= CHUNKS; i++) {
                free.add(arena.allocate((long) CHUNK_FRAMES * channels * Float.BYTES, 16));
            }
            Thread decoder = Thread.ofPlatform().name(Thread.currentThread().getName() + "-decode").start(
                    () -> decode(grabber, channels, trim, gain, meter, arena, free, decoded, failed, pictures));
            try {
                for (Chunk chunk = take(decoded); chunk.samples() != null; chunk = take(decoded)) {
                    throwIfSourceFailed(source);
                    sink.accept(chunk.samples(), chunk.frames());
                    encoded += chunk.frames();
                    if (encoded > maxFrames) {
                        throw tooLong(Math.round(encoded * 1e6 / grabber.getSampleRate()), "is longer than its file says: ");
                    }
                    free.offer(chunk.samples());
                    if (length > 0) {
                        progress.accept(Math.min(0.99, Math.max(0, (double) (chunk.timestamp() - trim.from()) / length)));
                    }
                }
            } finally {
                decoder.interrupt();
                Threads.awaitEnd(decoder);
            }
        }
        throwIfSourceFailed(source);
        Exception error = failed.get();
        if (error != null) {
            if (encoded == 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, error);
            }
            LOG.log(Level.WARNING, "decoding stopped early after a damaged part; keeping what was decoded", error);
        }
        return new Decoded(encoded, trim.firstMicros(), pictures.get());
    }

    private static void decode(FFmpegFrameGrabber grabber, int channels, Trim trim, float gain, LoudnessMeter meter,
                               Arena arena, BlockingQueue<MemorySegment> free, BlockingQueue<Chunk> decoded,
                               AtomicReference<Exception> failed, AtomicLong pictures) {
        try {
            for (Frame frame = grabber.grabSamples(); frame != null && !trim.done(); frame = grabber.grabSamples()) {
                if (frame.image != null) {
                    pictures.incrementAndGet();
                }
                if (frame.samples == null || !(frame.samples[0] instanceof FloatBuffer samples) || !samples.hasRemaining()) {
                    continue;
                }
                MemorySegment from = MemorySegment.ofBuffer(samples);
                int frames = (int) (from.byteSize() / Float.BYTES / channels);
                long skip = trim.skip(frame.timestamp, frames);
                int keep = trim.keep(frames - skip);
                if (keep <= 0) {
                    continue;
                }
                long bytes = (long) keep * channels * Float.BYTES;
                MemorySegment to = free.take();
                if (to.byteSize() < bytes) {
                    to = arena.allocate(bytes, 16);
                }
                MemorySegment.copy(from, skip * channels * Float.BYTES, to, 0, bytes);
                if (gain != 1) {
                    for (long i = 0, n = (long) keep * channels; i < n; i++) {
                        to.setAtIndex(ValueLayout.JAVA_FLOAT, i, to.getAtIndex(ValueLayout.JAVA_FLOAT, i) * gain);
                    }
                }
                if (meter != null) {
                    meter.add(to, keep);
                }
                decoded.put(new Chunk(to.asSlice(0, bytes), keep, frame.timestamp));
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

    /** The bitrate to ask for: the requested one, 192 kb/s by default, at most what the MP3 sample rate allows. */
    static int bitrateKbps(Options options, int mp3Rate) {
        int kbps = options.bitrateKbps() == null ? DEFAULT_BITRATE_KBPS : options.bitrateKbps();
        return Math.min(kbps, maxBitrateKbps(mp3Rate));
    }

    /** MPEG-2 and 2.5 Layer III (below 32 kHz) stop at 160 kb/s. */
    static int maxBitrateKbps(int rate) {
        return rate >= 32000 ? 320 : 160;
    }

    /**
     * For every open of an upload: the media demuxers, and no protocol at all (the bytes come only through our own
     * I/O, so a demuxer that follows a link finds nothing to open). The caller frees the dictionary.
     */
    static AVDictionary restrictions() {
        AVDictionary options = new AVDictionary(null);
        RESTRICTIONS.forEach((name, value) -> avutil.av_dict_set(options, name, value, 0));
        return options;
    }

    private static void restrict(FFmpegFrameGrabber grabber) {
        RESTRICTIONS.forEach(grabber::setOption);
    }

    private static void start(FFmpegFrameGrabber grabber, Source source) throws ConversionException {
        try {
            grabber.start();
        } catch (FrameGrabber.Exception e) {
            throwIfSourceFailed(source);
            LOG.log(Level.FINE, "FFmpeg cannot open the upload", e);
            throw ConversionException.permanent(ConversionException.CORRUPT, DAMAGED, e);
        }
        AVFormatContext format = grabber.getFormatContext();
        for (int i = 0; i < format.nb_streams(); i++) {
            if (i != grabber.getAudioStream()) {
                format.streams(i).discard(avcodec.AVDISCARD_ALL); // the demuxer skips their bytes, as ffmpeg -map 0:a does
            }
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
