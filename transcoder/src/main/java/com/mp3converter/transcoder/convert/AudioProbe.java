package com.mp3converter.transcoder.convert;

import java.nio.file.Path;

import org.bytedeco.javacv.FFmpegFrameGrabber;

/**
 * {@code java -cp transcoder.jar com.mp3converter.transcoder.convert.AudioProbe FILE}: decodes an MP3 with
 * FFmpeg and prints its format, duration, sample rate and channels; exits 1 when it is not a playable MP3.
 */
public final class AudioProbe {
    private AudioProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AudioProbe FILE.mp3");
            System.exit(2);
        }
        org.bytedeco.ffmpeg.global.avutil.av_log_set_level(org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
        Path file = Path.of(args[0]);
        String format;
        int rate;
        int channels;
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            grabber.start();
            format = grabber.getFormat();
            rate = grabber.getSampleRate();
            channels = grabber.getAudioChannels();
        }
        double seconds = Mp3Converter.durationOf(file);
        System.out.printf("format=%s duration=%.3fs sampleRate=%d channels=%d%n", format, seconds, rate, channels);
        if (!format.contains("mp3") || seconds <= 0 || channels <= 0) {
            System.err.println(file + " is not a playable MP3");
            System.exit(1);
        }
    }
}
