package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;

/**
 * The LAME inside the bytedeco FFmpeg build, through JavaCV's recorder: about three times slower than the
 * system's, used only when {@code libmp3lame.so.0} is missing (the transcoder says so at start, in its health
 * details and in the {@code mp3_encoder_info} metric).
 */
final class BundledEncoder implements Mp3Encoder {
    private final FFmpegFrameRecorder recorder;
    private final Format format;
    private final Mp3Output out;

    /** The muxer appends the frames (no ID3 tag of its own) to {@code out} after what it holds, the tag's room. */
    BundledEncoder(Mp3Output out, Format format, Mp3Converter.Options options) throws IOException {
        this.out = out;
        this.format = format;
        recorder = new FFmpegFrameRecorder(new MuxedOutput(out, out.size()), format.channels());
        recorder.setFormat("mp3");
        recorder.setOption("id3v2_version", "0");
        recorder.setAudioCodec(avcodec.AV_CODEC_ID_MP3);
        recorder.setAudioChannels(format.channels());
        recorder.setSampleRate(format.outRate());
        if (options.vbrQuality() != null) {
            recorder.setAudioQuality(options.vbrQuality());
        } else {
            recorder.setAudioBitrate(Mp3Converter.bitrateKbps(options, format.outRate()) * 1000);
        }
        try {
            recorder.start();
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("the bundled encoder could not start", e);
        }
    }

    @Override
    public void encode(MemorySegment samples, int frames) throws IOException {
        try {
            recorder.recordSamples(format.inRate(), format.channels(),
                    samples.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer());
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("the bundled encoder failed", e);
        }
    }

    @Override
    public long finish() throws IOException {
        try {
            recorder.stop();
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("the bundled encoder could not finish", e);
        }
        return out.size();
    }

    @Override
    public void close() {
        try {
            recorder.release();
        } catch (FFmpegFrameRecorder.Exception e) {
            // released anyway
        }
    }
}
