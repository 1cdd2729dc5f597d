package com.mp3converter.testmedia;

import java.util.ArrayList;
import java.util.List;

/**
 * The media the tests convert, each generated from FFmpeg's test sources (a colour pattern and sine tones) with
 * the recipe beside it, so no file of unknown origin is needed. Each sample names the audio stream FFmpeg
 * picks by default: its codec, sample rate, channels and duration (0 channels: there is none).
 */
public enum Sample {
    MP4_H264_AAC("mp4-h264-aac-stereo-48k-faststart.mp4", "aac", 48_000, 2, 2.0,
            video(320, 240), tone(440, 48_000, "stereo"), args("-t", "2", "-map", "0:v", "-map", "1:a",
                    "-c:v", "libopenh264", "-b:v", "300k", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart")),
    M4V_SHORT_MOOV_AT_END("m4v-h264-aac-stereo-44k-0.2s-moov-at-end.m4v", "aac", 44_100, 2, 0.2,
            video(160, 120), tone(330, 44_100, "stereo"), args("-t", "0.2", "-map", "0:v", "-map", "1:a",
                    "-c:v", "libopenh264", "-c:a", "aac", "-f", "mp4")),
    AVI_MPEG4_MP3("avi-mpeg4-mp3-stereo-48k-3s.avi", "mp3", 48_000, 2, 3.0,
            video(320, 240), tone(440, 48_000, "stereo"), args("-t", "3", "-map", "0:v", "-map", "1:a",
                    "-c:v", "mpeg4", "-c:a", "libmp3lame", "-b:a", "128k")),
    TS_MPEG2_MP2("ts-mpeg2video-mp2-stereo-44k.ts", "mp2", 44_100, 2, 2.4,
            video(320, 240), tone(440, 44_100, "stereo"), args("-t", "2.4", "-map", "0:v", "-map", "1:a",
                    "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpegts")),
    WEBM_NAMED_MP4("misnamed-webm-vp9-opus-stereo-48k.mp4", "opus", 48_000, 2, 3.0,
            video(160, 120), tone(440, 48_000, "stereo"), args("-t", "3", "-map", "0:v", "-map", "1:a",
                    "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "100k", "-c:a", "libopus",
                    "-f", "webm")),
    MP4_TWO_VORBIS_AUDIO_ONLY("mp4-audio-only-two-vorbis-tracks.mp4", "vorbis", 44_100, 2, 1.0,
            tone(440, 44_100, "stereo"), tone(660, 44_100, "stereo"), args("-t", "1", "-map", "0:a", "-map", "1:a",
                    "-c:a", "vorbis", "-strict", "-2")),
    OGG_OPUS_51("ogg-opus-5.1-48k.ogg", "opus", 48_000, 6, 3.0,
            tone(440, 48_000, "5.1"), args("-t", "3", "-c:a", "libopus", "-b:a", "256k")),
    WAV_22K("wav-pcm-s16le-stereo-22050.wav", "pcm_s16le", 22_050, 2, 1.2,
            tone(440, 22_050, "stereo"), args("-t", "1.2", "-c:a", "pcm_s16le")),
    FLAC_96K_MONO("flac-mono-96k.flac", "flac", 96_000, 1, 1.5,
            tone(440, 96_000, "mono"), args("-t", "1.5", "-c:a", "flac")),
    M4A_AAC_AUDIO_ONLY("m4a-aac-stereo-44k-audio-only.m4a", "aac", 44_100, 2, 2.0,
            tone(440, 44_100, "stereo"), args("-t", "2", "-c:a", "aac")),
    MP3_CBR("mp3-cbr-128k-stereo-44k.mp3", "mp3", 44_100, 2, 2.0,
            tone(440, 44_100, "stereo"), args("-t", "2", "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3",
                    "-metadata", "title=original title")),
    MKV_MP3_AND_AC3("mkv-mpeg4-mp3-stereo-and-ac3-5.1.mkv", "mp3", 44_100, 2, 2.0,
            video(320, 240), tone(440, 44_100, "stereo"), tone(220, 48_000, "5.1"), args("-t", "2",
                    "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "mpeg4", "-c:a:0", "libmp3lame", "-b:a:0", "128k",
                    "-c:a:1", "ac3", "-disposition:a:0", "default", "-disposition:a:1", "0")),
    MP4_MP3_AND_AC3("mp4-mpeg4-mp3-stereo-and-ac3-5.1.mp4", "mp3", 44_100, 2, 2.0,
            video(320, 240), tone(440, 44_100, "stereo"), tone(220, 48_000, "5.1"), args("-t", "2",
                    "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "mpeg4", "-c:a:0", "libmp3lame", "-b:a:0", "128k",
                    "-c:a:1", "ac3")),
    MKV_DEFAULT_IS_THIRD_AUDIO("mkv-three-audio-tracks-default-third.mkv", "flac", 32_000, 1, 1.5,
            tone(440, 44_100, "stereo"), tone(550, 24_000, "mono"), tone(660, 32_000, "mono"), args("-t", "1.5",
                    "-map", "0:a", "-map", "1:a", "-map", "2:a", "-c:a:0", "aac", "-c:a:1", "libopus", "-c:a:2", "flac",
                    "-disposition:a:0", "0", "-disposition:a:1", "0", "-disposition:a:2", "default")),
    MP4_NO_AUDIO("mp4-h264-no-audio.mp4", null, 0, 0, 0,
            video(320, 240), args("-t", "1", "-c:v", "libopenh264")),
    /** Tags ({@link SourceTags}), chapters and its own 500x500 JPEG cover (MP4 covr). */
    MP4_TAGGED_COVER_CHAPTERS("mp4-tagged-cover-chapters.mp4", "aac", 48_000, 2, 6.0,
            video(320, 240), tone(440, 48_000, "stereo"), picture(500, 500), SourceTags.input(true),
            args("-t", "6", "-map", "0:v", "-map", "1:a", "-map", "2:v", "-map_metadata", "3", "-map_chapters", "3",
                    "-c:v:0", "libopenh264", "-c:a", "aac", "-c:v:1", "mjpeg", "-disposition:v:1", "attached_pic")),
    /** Tags and chapters in Matroska, no picture; the video fades in from black over its first second. */
    MKV_TAGGED_FADE_IN("mkv-tagged-chapters-fade-in.mkv", "opus", 48_000, 2, 6.0,
            List.of("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25,fade=in:0:25"), tone(440, 48_000, "stereo"),
            SourceTags.input(true), args("-t", "6", "-map", "0:v", "-map", "1:a", "-map_metadata", "2",
                    "-map_chapters", "2", "-c:v", "libopenh264", "-c:a", "libopus")),
    /** Tags as Vorbis comments (FFmpeg keeps them on the stream), no chapters, no picture. */
    OGG_VORBIS_COMMENTS("ogg-opus-tagged.ogg", "opus", 48_000, 2, 2.0,
            tone(440, 48_000, "stereo"), SourceTags.input(false), args("-t", "2", "-map", "0:a", "-map_metadata", "1",
                    "-c:a", "libopus")),
    /** A FLAC with its own 300x200 PNG picture. */
    FLAC_PNG_PICTURE("flac-png-picture.flac", "flac", 44_100, 2, 2.0,
            tone(440, 44_100, "stereo"), picture(300, 200), args("-t", "2", "-map", "0:a", "-map", "1:v", "-c:a", "flac",
                    "-c:v", "png", "-disposition:v", "attached_pic")),
    /** 440 Hz until 2 s, 880 Hz until 4 s, 1760 Hz until 6 s: which part an MP3 holds can be heard. */
    WAV_TONE_STEPS("wav-tone-440-880-1760-every-2s.wav", "pcm_s16le", 48_000, 1, 6.0,
            sound("0.5*sin(2*PI*t*if(lt(t\\,2)\\,440\\,if(lt(t\\,4)\\,880\\,1760)))", 6)),
    /** About -34 LUFS, peaks about -29 dBTP: normalising to -16 is one gain. */
    WAV_QUIET("wav-quiet-tone.wav", "pcm_s16le", 48_000, 2, 8.0,
            sound("0.02*sin(2*PI*440*t)*(1+0.8*sin(2*PI*0.5*t))|0.02*sin(2*PI*550*t)", 8)),
    /** About -5 LUFS, peaks near -1 dBFS. */
    WAV_LOUD("wav-loud-tones.wav", "pcm_s16le", 48_000, 2, 8.0,
            sound("0.44*sin(2*PI*220*t)+0.44*sin(2*PI*331*t)|0.44*sin(2*PI*247*t)+0.44*sin(2*PI*370*t)", 8)),
    /** A quiet tone with a loud click every second: its peaks, not its loudness, set how loud it may become. */
    WAV_QUIET_WITH_CLICKS("wav-quiet-tone-loud-clicks.wav", "pcm_s16le", 48_000, 1, 6.0,
            sound("0.01*sin(2*PI*440*t)+0.9*lt(mod(t\\,1)\\,0.001)", 6)),
    TRUNCATED_3GP("truncated-3gp-moov-missing.3gp", null, 0, 0, 0,
            video(176, 144), tone(440, 8_000, "mono"), args("-t", "3", "-map", "0:v", "-map", "1:a", "-c:v", "h263",
                    "-c:a", "libopencore_amrnb", "-ar", "8000", "-ac", "1", "-b:a", "12.2k", "-f", "3gp"));

    /** The part of a generated file kept for {@link #TRUNCATED_3GP}: the moov box at its end is cut off. */
    static final double TRUNCATED_KEEP = 0.6;

    private final String fileName;
    private final String codec;
    private final int sampleRate;
    private final int channels;
    private final double durationSeconds;
    private final List<String> recipe;

    Sample(String fileName, String codec, int sampleRate, int channels, double durationSeconds, List<?>... parts) {
        this.fileName = fileName;
        this.codec = codec;
        this.sampleRate = sampleRate;
        this.channels = channels;
        this.durationSeconds = durationSeconds;
        List<String> all = new ArrayList<>();
        for (List<?> part : parts) {
            part.forEach(arg -> all.add((String) arg));
        }
        this.recipe = List.copyOf(all);
    }

    public String fileName() {
        return fileName;
    }

    /** The codec of the audio stream FFmpeg picks by default, or null when the file has no usable audio. */
    public String codec() {
        return codec;
    }

    public int sampleRate() {
        return sampleRate;
    }

    public int channels() {
        return channels;
    }

    public double durationSeconds() {
        return durationSeconds;
    }

    /** The ffmpeg arguments before the output file name. */
    List<String> recipe() {
        return recipe;
    }

    private static List<String> video(int width, int height) {
        return List.of("-f", "lavfi", "-i", "testsrc2=size=" + width + "x" + height + ":rate=25");
    }

    private static List<String> tone(int hertz, int rate, String layout) {
        return List.of("-f", "lavfi", "-i", "sine=frequency=" + hertz + ":sample_rate=" + rate
                + ",aformat=channel_layouts=" + layout);
    }

    /** A 48 kHz 16-bit WAV of an aevalsrc expression ({@code |} between channels), this many seconds long. */
    private static List<String> sound(String expression, int seconds) {
        return List.of("-f", "lavfi", "-i", "aevalsrc=" + expression + ":s=48000:d=" + seconds, "-c:a", "pcm_s16le");
    }

    /** One frame of FFmpeg's test pattern as a still picture input. */
    private static List<String> picture(int width, int height) {
        return List.of("-f", "lavfi", "-i", "testsrc=size=" + width + "x" + height + ":rate=1:duration=1");
    }

    private static List<String> args(String... args) {
        return List.of(args);
    }
}
