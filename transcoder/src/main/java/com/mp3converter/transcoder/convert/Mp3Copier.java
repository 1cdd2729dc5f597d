package com.mp3converter.transcoder.convert;

import java.nio.file.Path;
import java.util.function.DoubleConsumer;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;

/**
 * An MP3 audio stream copied packet by packet, no decoding and no re-encoding, into FFmpeg's MP3 muxer with
 * exactly one stream (the input's chosen one: a file may hold several audio streams and a video) — the muxer
 * writes the ID3v2 title and the Xing header.
 */
final class Mp3Copier {
    private Mp3Copier() {
    }

    /** The number of packets copied. */
    static long copy(FFmpegFrameGrabber grabber, int audio, Path target, String title, DoubleConsumer progress)
            throws ConversionException {
        AVStream in = grabber.getFormatContext().streams(audio);
        AVFormatContext output = new AVFormatContext(null);
        check(avformat.avformat_alloc_output_context2(output, null, "mp3", target.toString()), "allocate the output");
        long packets = 0;
        try {
            AVStream out = avformat.avformat_new_stream(output, null);
            check(avcodec.avcodec_parameters_copy(out.codecpar(), in.codecpar()), "copy the stream parameters");
            out.codecpar().codec_tag(0);
            AVDictionary metadata = new AVDictionary(null);
            avutil.av_dict_set(metadata, "title", title, 0);
            output.metadata(metadata);
            AVIOContext pb = new AVIOContext(null);
            check(avformat.avio_open2(pb, target.toString(), avformat.AVIO_FLAG_WRITE, null, null), "open the output");
            output.pb(pb);
            check(avformat.avformat_write_header(output, (AVDictionary) null), "write the header");
            double seconds = grabber.getLengthInTime() / 1e6;
            for (AVPacket packet = next(grabber, packets); packet != null; packet = next(grabber, packets)) {
                if (packet.stream_index() != audio) {
                    continue;
                }
                if (packet.pts() != avutil.AV_NOPTS_VALUE && seconds > 0 && (++packets & 63) == 0) {
                    progress.accept(Math.min(0.99, packet.pts() * avutil.av_q2d(in.time_base()) / seconds));
                }
                avcodec.av_packet_rescale_ts(packet, in.time_base(), out.time_base());
                packet.stream_index(0);
                packet.pos(-1);
                check(avformat.av_write_frame(output, packet), "write a packet");
            }
            check(avformat.av_write_trailer(output), "finish the file");
            return packets;
        } finally {
            if (output.pb() != null) {
                avformat.avio_closep(output.pb());
            }
            avformat.avformat_free_context(output);
        }
    }

    /** The next packet; null at the end, or at a damaged tail once something was read. */
    private static AVPacket next(FFmpegFrameGrabber grabber, long copied) throws ConversionException {
        try {
            return grabber.grabPacket();
        } catch (FrameGrabber.Exception e) {
            if (copied == 0) {
                throw ConversionException.permanent(ConversionException.CORRUPT, Mp3Converter.DAMAGED, e);
            }
            return null;
        }
    }

    private static void check(int result, String what) throws ConversionException {
        if (result < 0) {
            throw ConversionException.permanent(ConversionException.UNSUPPORTED, Mp3Converter.CANNOT_ENCODE,
                    new IllegalStateException("could not " + what + " (" + result + ")"));
        }
    }
}
