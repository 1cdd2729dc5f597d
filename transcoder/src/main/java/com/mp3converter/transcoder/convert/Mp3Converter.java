package com.mp3converter.transcoder.convert;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.DoubleConsumer;
import java.util.logging.Logger;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Audio to MP3 with JavaCV/FFmpeg: demux, decode the audio only ({@code grabSamples()} never decodes a
 * video frame), encode with libmp3lame at a CBR bitrate (default 192 kb/s) or a VBR quality, keep the
 * channels (more than two are downmixed: MP3 has at most two), keep the sample rate where MP3 allows it,
 * ID3 title from the original name. An MP3 source without options is copied packet by packet.
 */
public final class Mp3Converter {
    private static final Logger LOG = Logger.getLogger(Mp3Converter.class.getName());
    private static final int[] MP3_RATES = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    public static final int DEFAULT_BITRATE_KBPS = 192;

    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        FFmpegLogCallback.set();
    }

    /** What to produce: either a CBR bitrate in kb/s or a LAME VBR quality (0 best .. 9). */
    public record Options(Integer bitrateKbps, Integer vbrQuality) {
        public static final Options DEFAULT = new Options(null, null);

        boolean isDefault() {
            return bitrateKbps == null && vbrQuality == null;
        }
    }

    /** The MP3 written: its duration, sample rate, channels and whether packets were copied. */
    public record Result(double durationSeconds, int sampleRate, int channels, boolean copied, long bytes) {
    }

    /** Converts {@code source} into {@code target}; progress (0..1) is reported as decoding advances. */
    public Result convert(Path source, Path target, Options options, String title, DoubleConsumer progress)
            throws ConversionException {
        int defaultAudio = defaultAudioStream(source);
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(source.toFile())) {
            if (defaultAudio >= 0) {
                grabber.setAudioStream(defaultAudio);
            }
            start(grabber);
            if (grabber.getAudioChannels() <= 0 || grabber.getAudioStream() < 0 && grabber.getAudioCodec() == 0) {
                throw ConversionException.permanent(ConversionException.NO_AUDIO,
                        "the file has no audio stream, so there is nothing to turn into an MP3", null);
            }
            long length = grabber.getLengthInTime();
            boolean copy = options.isDefault() && grabber.getAudioCodec() == avcodec.AV_CODEC_ID_MP3
                    && isMp3Rate(grabber.getSampleRate()) && grabber.getAudioChannels() <= 2;
            int channels = Math.min(2, grabber.getAudioChannels());
            int rate = mp3Rate(grabber.getSampleRate());
            try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(target.toFile(), channels)) {
                recorder.setFormat("mp3");
                recorder.setAudioCodec(avcodec.AV_CODEC_ID_MP3);
                recorder.setAudioChannels(channels);
                recorder.setSampleRate(rate);
                recorder.setMetadata("title", title);
                recorder.setAudioMetadata("title", title);
                if (copy) {
                    copyPackets(grabber, recorder, length, progress);
                } else {
                    if (options.vbrQuality() != null) {
                        recorder.setAudioQuality(options.vbrQuality());
                    } else {
                        int kbps = options.bitrateKbps() == null ? DEFAULT_BITRATE_KBPS : options.bitrateKbps();
                        recorder.setAudioBitrate(Math.min(kbps, maxBitrateKbps(rate)) * 1000);
                    }
                    encode(grabber, recorder, length, progress);
                }
                recorder.stop();
            } catch (FFmpegFrameRecorder.Exception e) {
                throw new ConversionException(ConversionException.UNSUPPORTED,
                        "the audio could not be encoded to MP3: " + e.getMessage(), true, e);
            }
            long bytes = Files.size(target);
            double duration = durationOf(target);
            if (bytes == 0 || duration <= 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT,
                        "no audio could be decoded from the file; it may be damaged", null);
            }
            return new Result(duration, rate, channels, copy, bytes);
        } catch (java.io.IOException e) {
            throw new ConversionException(ConversionException.IO, "reading or writing a temporary file failed: "
                    + e.getMessage(), false, e);
        }
    }

    private static void start(FFmpegFrameGrabber grabber) throws ConversionException {
        try {
            grabber.start();
        } catch (FrameGrabber.Exception e) {
            String message = String.valueOf(e.getMessage());
            boolean notMedia = message.contains("Invalid data found") || message.contains("avformat_open_input");
            throw ConversionException.permanent(notMedia ? ConversionException.CORRUPT : ConversionException.UNSUPPORTED,
                    notMedia ? "the file is damaged or not a media file FFmpeg can read (" + shortReason(message) + ")"
                            : "the file cannot be read: " + shortReason(message), e);
        }
    }

    private static void encode(FFmpegFrameGrabber grabber, FFmpegFrameRecorder recorder, long length,
                               DoubleConsumer progress) throws ConversionException, FFmpegFrameRecorder.Exception {
        recorder.start();
        long samples = 0;
        try {
            for (Frame frame = grabber.grabSamples(); frame != null; frame = grabber.grabSamples()) {
                if (frame.samples == null) {
                    continue;
                }
                recorder.record(frame);
                samples++;
                if (length > 0 && (samples & 63) == 0) {
                    progress.accept(Math.min(0.99, Math.max(0, (double) frame.timestamp / length)));
                }
            }
        } catch (FrameGrabber.Exception e) {
            if (samples == 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT,
                        "the audio could not be decoded; the file may be damaged (" + shortReason(e.getMessage()) + ")", e);
            }
            LOG.warning(() -> "decoding stopped early after a damaged part: " + e.getMessage());
        }
    }

    private static void copyPackets(FFmpegFrameGrabber grabber, FFmpegFrameRecorder recorder, long length,
                                    DoubleConsumer progress) throws ConversionException, FFmpegFrameRecorder.Exception {
        AVFormatContext input = grabber.getFormatContext();
        int audio = avformat.av_find_best_stream(input, avutil.AVMEDIA_TYPE_AUDIO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
        recorder.start(input);
        long packets = 0;
        try {
            for (AVPacket packet = grabber.grabPacket(); packet != null; packet = grabber.grabPacket()) {
                if (packet.stream_index() != audio) {
                    continue;
                }
                recorder.recordPacket(packet);
                packets++;
                if (length > 0 && (packets & 63) == 0 && packet.pts() != avutil.AV_NOPTS_VALUE) {
                    AVStream stream = input.streams(audio);
                    double seconds = packet.pts() * avutil.av_q2d(stream.time_base());
                    progress.accept(Math.min(0.99, Math.max(0, seconds * 1_000_000 / length)));
                }
            }
        } catch (FrameGrabber.Exception e) {
            if (packets == 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT,
                        "the audio could not be read; the file may be damaged (" + shortReason(e.getMessage()) + ")", e);
            }
        }
    }

    /** The duration of an MP3 file as FFmpeg decodes it. */
    public static double durationOf(Path mp3) throws ConversionException {
        try (FFmpegFrameGrabber probe = new FFmpegFrameGrabber(mp3.toFile())) {
            probe.start();
            long samples = 0;
            int rate = probe.getSampleRate();
            for (Frame frame = probe.grabSamples(); frame != null; frame = probe.grabSamples()) {
                if (frame.samples != null && frame.samples.length > 0) {
                    samples += frame.samples[0].limit() / (frame.samples.length == 1 ? Math.max(1, frame.audioChannels) : 1);
                }
            }
            return rate > 0 ? (double) samples / rate : 0;
        } catch (FrameGrabber.Exception e) {
            throw ConversionException.permanent(ConversionException.CORRUPT, "the MP3 written cannot be read back", e);
        }
    }

    /** MPEG-2 and 2.5 Layer III (below 32 kHz) stop at 160 kb/s. */
    static int maxBitrateKbps(int rate) {
        return rate >= 32000 ? 320 : 160;
    }

    /**
     * The audio stream FFmpeg itself would pick (default disposition, then the best one), or -1 when the
     * file cannot be opened here (the grabber then reports why).
     */
    private static int defaultAudioStream(Path source) {
        AVFormatContext context = new AVFormatContext(null);
        if (avformat.avformat_open_input(context, source.toString(), null, null) < 0) {
            return -1;
        }
        try {
            if (avformat.avformat_find_stream_info(context, (org.bytedeco.ffmpeg.avutil.AVDictionary) null) < 0) {
                return -1;
            }
            return avformat.av_find_best_stream(context, avutil.AVMEDIA_TYPE_AUDIO, -1, -1,
                    (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
        } finally {
            avformat.avformat_close_input(context);
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

    private static String shortReason(String message) {
        if (message == null) {
            return "unknown reason";
        }
        String m = message.replaceAll("\\s+", " ");
        return m.length() > 160 ? m.substring(0, 160) + "…" : m;
    }
}
