package com.mp3converter.transcoder.convert;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVChapter;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;

/**
 * What one open of an upload tells before any decoding: the audio stream FFmpeg itself would pick (default
 * disposition, then the best one), the container's tags (for Ogg the audio stream's, where FFmpeg keeps the
 * Vorbis comments), its chapters, its own picture (an attached picture: MP4 {@code covr}, a Matroska image
 * attachment, a FLAC or ID3 picture), the first real video stream, and the timeline's start.
 */
record SourceProbe(int audioStream, Map<String, String> tags, List<Chapter> chapters, Picture picture,
                   int videoStream, long startMicros, long durationMicros) {

    /** A chapter in the source's timeline (microseconds), with its title (maybe empty). */
    record Chapter(long startMicros, long endMicros, String title) {
    }

    /** An attached picture as stored: its codec, size and bytes. */
    record Picture(int codecId, int width, int height, byte[] data) {
    }

    /** A source FFmpeg cannot open here (the converter then says why, in its own words). */
    static final SourceProbe UNREADABLE = new SourceProbe(-1, Map.of(), List.of(), null, -1, 0, 0);

    boolean hasVideo() {
        return videoStream >= 0;
    }

    static SourceProbe of(Source source) {
        AVDictionary options = Mp3Converter.restrictions();
        try (FfmpegIo.Input input = FfmpegIo.open(source, options)) {
            if (input == null) {
                return UNREADABLE;
            }
            AVFormatContext context = input.format();
            if (avformat.avformat_find_stream_info(context, (AVDictionary) null) < 0) {
                return UNREADABLE;
            }
            int audio = avformat.av_find_best_stream(context, avutil.AVMEDIA_TYPE_AUDIO, -1, -1,
                    (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            Map<String, String> tags = dictionary(context.metadata());
            String format = context.iformat().name().getString();
            if (audio >= 0 && format.equals("ogg")) {
                dictionary(context.streams(audio).metadata()).forEach(tags::putIfAbsent);
            }
            if (audio >= 0 && !tags.containsKey("language")) {
                String language = dictionary(context.streams(audio).metadata()).get("language");
                if (language != null) {
                    tags.put("language", language);
                }
            }
            long start = context.start_time() == avutil.AV_NOPTS_VALUE ? 0 : context.start_time();
            long duration = context.duration() == avutil.AV_NOPTS_VALUE ? 0 : context.duration();
            return new SourceProbe(audio, tags, chapters(context), picture(context), video(context), start, duration);
        } finally {
            avutil.av_dict_free(options);
        }
    }

    /** A dictionary's entries, keys in lower case (FFmpeg's generic names; Matroska's are upper case). */
    private static Map<String, String> dictionary(AVDictionary dictionary) {
        Map<String, String> entries = new LinkedHashMap<>();
        if (dictionary == null || dictionary.isNull()) {
            return entries;
        }
        AVDictionaryEntry entry = null;
        while ((entry = avutil.av_dict_get(dictionary, "", entry, avutil.AV_DICT_IGNORE_SUFFIX)) != null) {
            String key = entry.key().getString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            entries.putIfAbsent(key, entry.value().getString(StandardCharsets.UTF_8));
        }
        return entries;
    }

    private static List<Chapter> chapters(AVFormatContext context) {
        List<Chapter> chapters = new ArrayList<>();
        for (int i = 0; i < context.nb_chapters(); i++) {
            AVChapter chapter = context.chapters(i);
            double unit = avutil.av_q2d(chapter.time_base()) * 1e6;
            String title = dictionary(chapter.metadata()).getOrDefault("title", "");
            chapters.add(new Chapter(Math.round(chapter.start() * unit), Math.round(chapter.end() * unit), title));
        }
        return chapters;
    }

    /** The attached picture, preferring one named as the cover (Matroska attachments have file names). */
    private static Picture picture(AVFormatContext context) {
        Picture first = null;
        for (int i = 0; i < context.nb_streams(); i++) {
            AVStream stream = context.streams(i);
            if ((stream.disposition() & avformat.AV_DISPOSITION_ATTACHED_PIC) == 0) {
                continue;
            }
            AVPacket packet = stream.attached_pic();
            if (packet == null || packet.size() <= 0 || packet.data() == null) {
                continue;
            }
            byte[] data = new byte[packet.size()];
            packet.data().get(data);
            AVCodecParameters codec = stream.codecpar();
            Picture picture = new Picture(codec.codec_id(), codec.width(), codec.height(), data);
            String name = dictionary(stream.metadata()).getOrDefault("filename", "").toLowerCase(Locale.ROOT);
            if (name.startsWith("cover")) {
                return picture;
            }
            if (first == null) {
                first = picture;
            }
        }
        return first;
    }

    /** The first video stream that is not an attached picture, or -1. */
    private static int video(AVFormatContext context) {
        for (int i = 0; i < context.nb_streams(); i++) {
            AVStream stream = context.streams(i);
            if (stream.codecpar().codec_type() == avutil.AVMEDIA_TYPE_VIDEO
                    && (stream.disposition() & avformat.AV_DISPOSITION_ATTACHED_PIC) == 0
                    && stream.codecpar().codec_id() != avcodec.AV_CODEC_ID_NONE) {
                return i;
            }
        }
        return -1;
    }
}
