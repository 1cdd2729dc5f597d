package com.mp3converter.transcoder.convert;

import java.util.List;
import java.util.Locale;

import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.javacv.FFmpegFrameGrabber;

/**
 * The part of the source to convert, in microseconds from its beginning (the first moment a player shows, the
 * container's start time): from {@code startMicros} (0: the beginning) to {@code endMicros} ({@link Long#MAX_VALUE}:
 * the end). An end past the source's end is taken as the end (the owner is told); a start past it fails the job.
 * Cut to the sample: decoding starts a second early, and samples before the start or after the end are dropped.
 */
record Cut(long startMicros, long endMicros, long timelineStart) {
    static final String PAST_THE_END = "cut-past-end";
    private static final long PREROLL_MICROS = 1_000_000;

    static Cut of(Mp3Converter.Options options, SourceProbe probe) throws ConversionException {
        long start = options.start() == null ? 0 : Math.round(options.start() * 1e6);
        long end = options.end() == null ? Long.MAX_VALUE : Math.round(options.end() * 1e6);
        Cut cut = new Cut(start, end, probe.startMicros());
        if (start > 0 && probe.durationMicros() > 0 && start >= probe.durationMicros()) {
            throw cut.pastTheEnd(probe);
        }
        return cut;
    }

    ConversionException pastTheEnd(SourceProbe probe) {
        return ConversionException.permanent(PAST_THE_END, "the part asked for starts at " + clock(startMicros)
                + (probe.durationMicros() > 0 ? ", but the file ends at " + clock(probe.durationMicros()) : ", after the "
                + "file's sound ends") + ": there is nothing to convert", null);
    }

    /** Says so when the sound ended before the end asked for. */
    void warnIfShort(long samples, int rate, List<String> warnings) {
        long endedAt = startMicros + Math.round(samples * 1e6 / rate);
        if (endMicros != Long.MAX_VALUE && endMicros - endedAt > 1e6 * 1152 / rate) {
            warnings.add("the file's sound ends at " + clock(endedAt) + ", before the end asked for (" + clock(endMicros)
                    + "): the MP3 stops there");
        }
    }

    /** The length converted, for progress: the cut's, or what remains of {@code totalMicros}. */
    long lengthMicros(long totalMicros) {
        return Math.max(0, Math.min(endMicros, totalMicros) - startMicros);
    }

    /** Before decoding: a second before the start, so the decoder has settled by then (ignored where it cannot seek). */
    void seek(FFmpegFrameGrabber grabber) {
        if (startMicros > PREROLL_MICROS) {
            long target = timelineStart + startMicros - PREROLL_MICROS;
            avformat.avformat_seek_file(grabber.getFormatContext(), -1, Long.MIN_VALUE, target, target,
                    avformat.AVSEEK_FLAG_BACKWARD);
        }
    }

    Trim trim(int rate) {
        return new Trim(startMicros > 0 ? timelineStart + startMicros : Long.MIN_VALUE,
                endMicros == Long.MAX_VALUE ? Long.MAX_VALUE : timelineStart + endMicros, rate);
    }

    /** h:mm:ss.mmm or m:ss.mmm. */
    static String clock(long micros) {
        long ms = Math.round(micros / 1000.0);
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        double s = ms % 60_000 / 1000.0;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%06.3f", h, m, s) : String.format(Locale.ROOT, "%d:%06.3f", m, s);
    }
}
