package com.mp3converter.transcoder.convert;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.DoubleConsumer;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;

/**
 * An MP3 audio stream copied packet by packet, no re-encoding, into FFmpeg's MP3 muxer with exactly one stream
 * (the input's chosen one: a file may hold several audio streams and a video), which writes the Xing header but
 * no ID3 tag: the frames are appended to the output after the room left for ours. The packets are also decoded (MP3 decodes far faster
 * than it encodes) so the loudness meter hears what the MP3 holds.
 */
final class Mp3Copier {
    private Mp3Copier() {
    }

    /** What was copied: packets, and the time of the first one (µs, the source's timeline). */
    record Copied(long packets, long firstMicros) {
    }

    static Copied copy(FFmpegFrameGrabber grabber, int audio, Mp3Output target, LoudnessMeter meter,
                       DoubleConsumer progress) throws ConversionException {
        AVStream in = grabber.getFormatContext().streams(audio);
        AVFormatContext output = new AVFormatContext(null);
        check(avformat.avformat_alloc_output_context2(output, null, "mp3", (String) null), "allocate the output");
        long packets = 0;
        long first = Long.MIN_VALUE;
        AVDictionary muxer = new AVDictionary(null);
        avutil.av_dict_set(muxer, "id3v2_version", "0", 0);
        try (Decoder decoder = new Decoder(in, meter);
             FfmpegIo io = FfmpegIo.writing(new MuxedOutput(target, target.size()))) {
            AVStream out = avformat.avformat_new_stream(output, null);
            check(avcodec.avcodec_parameters_copy(out.codecpar(), in.codecpar()), "copy the stream parameters");
            out.codecpar().codec_tag(0);
            output.pb(io.context());
            check(avformat.avformat_write_header(output, muxer), "write the header");
            double seconds = grabber.getLengthInTime() / 1e6;
            for (AVPacket packet = next(grabber, packets); packet != null; packet = next(grabber, packets)) {
                if (packet.stream_index() != audio) {
                    continue;
                }
                if (first == Long.MIN_VALUE && packet.pts() != avutil.AV_NOPTS_VALUE) {
                    first = Math.round(packet.pts() * avutil.av_q2d(in.time_base()) * 1e6);
                }
                if (packet.pts() != avutil.AV_NOPTS_VALUE && seconds > 0 && (++packets & 63) == 0) {
                    progress.accept(Math.min(0.99, packet.pts() * avutil.av_q2d(in.time_base()) / seconds));
                }
                decoder.decode(packet);
                avcodec.av_packet_rescale_ts(packet, in.time_base(), out.time_base());
                packet.stream_index(0);
                packet.pos(-1);
                check(avformat.av_write_frame(output, packet), "write a packet");
            }
            check(avformat.av_write_trailer(output), "finish the file");
            output.pb(null);
        } finally {
            avutil.av_dict_free(muxer);
            avformat.avformat_free_context(output);
        }
        return new Copied(packets, first == Long.MIN_VALUE ? 0 : first);
    }

    /** The copied packets decoded for the meter, at most two channels interleaved as the meter reads them. */
    private static final class Decoder implements AutoCloseable {
        private final AVCodecContext context;
        private final AVFrame frame = avutil.av_frame_alloc();
        private final LoudnessMeter meter;
        private final Arena arena = Arena.ofConfined();
        private MemorySegment interleaved = MemorySegment.NULL;

        Decoder(AVStream stream, LoudnessMeter meter) throws ConversionException {
            this.meter = meter;
            AVCodec codec = avcodec.avcodec_find_decoder(stream.codecpar().codec_id());
            context = avcodec.avcodec_alloc_context3(codec);
            check(avcodec.avcodec_parameters_to_context(context, stream.codecpar()), "set up the decoder");
            context.request_sample_fmt(avutil.AV_SAMPLE_FMT_FLTP);
            check(avcodec.avcodec_open2(context, codec, (AVDictionary) null), "open the decoder");
        }

        void decode(AVPacket packet) {
            if (avcodec.avcodec_send_packet(context, packet) < 0) {
                return; // a damaged frame is copied as it is and not measured
            }
            while (avcodec.avcodec_receive_frame(context, frame) >= 0) {
                int samples = frame.nb_samples();
                int channels = Math.min(2, frame.ch_layout().nb_channels());
                if (frame.format() == avutil.AV_SAMPLE_FMT_FLTP && samples > 0 && channels > 0) {
                    long bytes = (long) samples * channels * Float.BYTES;
                    if (interleaved.byteSize() < bytes) {
                        interleaved = arena.allocate(bytes, 16);
                    }
                    for (int c = 0; c < channels; c++) {
                        MemorySegment plane = MemorySegment.ofAddress(frame.extended_data(c).address())
                                .reinterpret((long) samples * Float.BYTES);
                        for (int i = 0; i < samples; i++) {
                            interleaved.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * channels + c,
                                    plane.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                        }
                    }
                    meter.add(interleaved, samples);
                }
                avutil.av_frame_unref(frame);
            }
        }

        @Override
        public void close() {
            avutil.av_frame_free(frame);
            avcodec.avcodec_free_context(context);
            arena.close();
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
