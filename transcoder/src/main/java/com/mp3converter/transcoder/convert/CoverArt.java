package com.mp3converter.transcoder.convert;

import java.io.IOException;
import java.util.Locale;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avfilter.AVFilterContext;
import org.bytedeco.ffmpeg.avfilter.AVFilterGraph;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avfilter;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;

/**
 * The MP3's front cover: the source's own picture as it is when it is a JPEG or PNG of at most
 * {@link #MAX_SOURCE_BYTES}, otherwise that picture made a JPEG; or a representative frame of the video's opening
 * part, chosen by FFmpeg's {@code thumbnail} filter (the frame nearest the average colour histogram of the first
 * {@link #FRAMES} frames, so not a black first frame), at most {@link #MAX_EDGE} px on its longer side, as JPEG.
 */
final class CoverArt {
    static final int MAX_EDGE = 600;
    static final int FRAMES = 100;
    static final int MAX_SOURCE_BYTES = 2 << 20;
    private static final String SCALE = "scale=w='min(" + MAX_EDGE + ",iw*sar)':h='min(" + MAX_EDGE + ",ih)'"
            + ":force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1";

    private CoverArt() {
    }

    /** The source's picture for the APIC frame. */
    static Id3Tag.Cover of(SourceProbe.Picture picture) throws IOException {
        if (picture.data().length <= MAX_SOURCE_BYTES && picture.codecId() == avcodec.AV_CODEC_ID_MJPEG) {
            return new Id3Tag.Cover("image/jpeg", picture.data());
        }
        if (picture.data().length <= MAX_SOURCE_BYTES && picture.codecId() == avcodec.AV_CODEC_ID_PNG) {
            return new Id3Tag.Cover("image/png", picture.data());
        }
        AVCodecContext decoder = decoder(avcodec.avcodec_find_decoder(picture.codecId()), null);
        AVPacket packet = avcodec.av_packet_alloc();
        AVFrame frame = avutil.av_frame_alloc();
        try {
            avcodec.av_new_packet(packet, picture.data().length);
            packet.data().put(picture.data());
            check(avcodec.avcodec_send_packet(decoder, packet), "decode the picture");
            avcodec.avcodec_send_packet(decoder, null);
            check(avcodec.avcodec_receive_frame(decoder, frame), "decode the picture");
            try (Filter filter = new Filter(frame, new AVRational().num(1).den(25), SCALE)) {
                filter.add(frame);
                filter.end();
                return jpeg(filter.next());
            }
        } finally {
            avutil.av_frame_free(frame);
            avcodec.av_packet_free(packet);
            avcodec.avcodec_free_context(decoder);
        }
    }

    /** A representative frame of the video stream's first {@link #FRAMES} frames from {@code startMicros}. */
    static Id3Tag.Cover frame(Source source, int videoStream, long startMicros) throws IOException {
        AVDictionary options = Mp3Converter.restrictions();
        try (FfmpegIo.Input opened = FfmpegIo.open(source, options)) {
            if (opened == null) {
                throw new IOException("could not open the video");
            }
            AVFormatContext input = opened.format();
            check(avformat.avformat_find_stream_info(input, (AVDictionary) null), "read the video");
            for (int i = 0; i < input.nb_streams(); i++) {
                input.streams(i).discard(i == videoStream ? avcodec.AVDISCARD_DEFAULT : avcodec.AVDISCARD_ALL);
            }
            if (startMicros > 0) {
                check(avformat.avformat_seek_file(input, -1, Long.MIN_VALUE, startMicros, startMicros,
                        avformat.AVSEEK_FLAG_BACKWARD), "seek in the video");
            }
            AVStream stream = input.streams(videoStream);
            AVCodecContext decoder = decoder(avcodec.avcodec_find_decoder(stream.codecpar().codec_id()), stream);
            try {
                return jpeg(thumbnail(input, stream, decoder, startMicros));
            } finally {
                avcodec.avcodec_free_context(decoder);
            }
        } finally {
            avutil.av_dict_free(options);
        }
    }

    /** Decodes frames from {@code startMicros} into the thumbnail filter until it chooses one. */
    private static AVFrame thumbnail(AVFormatContext input, AVStream stream, AVCodecContext decoder, long startMicros)
            throws IOException {
        AVPacket packet = avcodec.av_packet_alloc();
        AVFrame frame = avutil.av_frame_alloc();
        long start = avutil.av_rescale_q(startMicros, new AVRational().num(1).den(1_000_000), stream.time_base());
        Filter filter = null;
        try {
            int fed = 0;
            boolean inputEnded = false;
            while (fed < FRAMES && !inputEnded) {
                int read = avformat.av_read_frame(input, packet);
                inputEnded = read < 0;
                if (!inputEnded && packet.stream_index() != stream.index()) {
                    avcodec.av_packet_unref(packet);
                    continue;
                }
                avcodec.avcodec_send_packet(decoder, inputEnded ? null : packet);
                avcodec.av_packet_unref(packet);
                while (fed < FRAMES && avcodec.avcodec_receive_frame(decoder, frame) >= 0) {
                    if (startMicros > 0 && frame.best_effort_timestamp() != avutil.AV_NOPTS_VALUE
                            && frame.best_effort_timestamp() < start) {
                        avutil.av_frame_unref(frame);
                        continue;
                    }
                    if (filter == null) {
                        filter = new Filter(frame, stream.time_base(), SCALE + ",thumbnail=n=" + FRAMES);
                    }
                    filter.add(frame);
                    fed++;
                    avutil.av_frame_unref(frame);
                }
            }
            if (filter == null) {
                throw new IOException("no frame of the video could be decoded");
            }
            filter.end();
            return filter.next();
        } finally {
            if (filter != null) {
                filter.close();
            }
            avutil.av_frame_free(frame);
            avcodec.av_packet_free(packet);
        }
    }

    private static AVCodecContext decoder(AVCodec codec, AVStream stream) throws IOException {
        if (codec == null) {
            throw new IOException("no decoder for the picture");
        }
        AVCodecContext context = avcodec.avcodec_alloc_context3(codec);
        if (stream != null) {
            check(avcodec.avcodec_parameters_to_context(context, stream.codecpar()), "set up the decoder");
            context.pkt_timebase(stream.time_base());
        }
        check(avcodec.avcodec_open2(context, codec, (AVDictionary) null), "open the decoder");
        return context;
    }

    /** The frame as a baseline JPEG at quality scale 3 (of 2 best .. 31). */
    private static Id3Tag.Cover jpeg(AVFrame picture) throws IOException {
        AVCodec codec = avcodec.avcodec_find_encoder(avcodec.AV_CODEC_ID_MJPEG);
        AVCodecContext encoder = avcodec.avcodec_alloc_context3(codec);
        AVPacket packet = avcodec.av_packet_alloc();
        try {
            encoder.width(picture.width()).height(picture.height()).pix_fmt(picture.format())
                    .time_base(new AVRational().num(1).den(25));
            encoder.flags(encoder.flags() | avcodec.AV_CODEC_FLAG_QSCALE).global_quality(3 * avutil.FF_QP2LAMBDA);
            check(avcodec.avcodec_open2(encoder, codec, (AVDictionary) null), "open the JPEG encoder");
            picture.quality(encoder.global_quality());
            picture.pts(0);
            check(avcodec.avcodec_send_frame(encoder, picture), "encode the JPEG");
            check(avcodec.avcodec_receive_packet(encoder, packet), "encode the JPEG");
            byte[] data = new byte[packet.size()];
            packet.data().get(data);
            return new Id3Tag.Cover("image/jpeg", data);
        } finally {
            avutil.av_frame_free(picture);
            avcodec.av_packet_free(packet);
            avcodec.avcodec_free_context(encoder);
        }
    }

    /** A filter graph from frames like {@code first} through {@code filters} to JPEG-ready YUV. */
    private static final class Filter implements AutoCloseable {
        private final AVFilterGraph graph = avfilter.avfilter_graph_alloc();
        private final AVFilterContext in;
        private final AVFilterContext out;

        Filter(AVFrame first, AVRational timeBase, String filters) throws IOException {
            AVRational sar = first.sample_aspect_ratio();
            String graphText = String.format(Locale.ROOT,
                    "buffer=video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d,%s,format=yuvj420p,buffersink",
                    first.width(), first.height(), first.format(), timeBase.num(), Math.max(1, timeBase.den()),
                    sar.num() > 0 ? sar.num() : 1, sar.den() > 0 ? sar.den() : 1, filters);
            try {
                check(avfilter.avfilter_graph_parse_ptr(graph, graphText, null, null, null), "build the filter");
                check(avfilter.avfilter_graph_config(graph, null), "configure the filter");
            } catch (IOException e) {
                close();
                throw e;
            }
            in = named(graph, "buffer");
            out = named(graph, "buffersink");
        }

        /** The graph's one filter of this kind. */
        private static AVFilterContext named(AVFilterGraph graph, String kind) {
            for (int i = 0; i < graph.nb_filters(); i++) {
                if (graph.filters(i).filter().name().getString().equals(kind)) {
                    return graph.filters(i);
                }
            }
            throw new IllegalStateException("the filter graph has no " + kind);
        }

        void add(AVFrame frame) throws IOException {
            check(avfilter.av_buffersrc_add_frame_flags(in, frame, avfilter.AV_BUFFERSRC_FLAG_KEEP_REF | avfilter.AV_BUFFERSRC_FLAG_PUSH), "filter a frame");
        }

        void end() throws IOException {
            check(avfilter.av_buffersrc_add_frame_flags(in, null, 0), "end the filter");
        }

        /** The filter's (first) output; the caller frees it. */
        AVFrame next() throws IOException {
            AVFrame frame = avutil.av_frame_alloc();
            int result = avfilter.av_buffersink_get_frame(out, frame);
            if (result < 0) {
                avutil.av_frame_free(frame);
                check(result, "choose a frame");
            }
            return frame;
        }

        @Override
        public void close() {
            avfilter.avfilter_graph_free(graph);
        }
    }

    private static void check(int result, String what) throws IOException {
        if (result < 0) {
            throw new IOException("could not " + what + " (" + result + ")");
        }
    }
}
