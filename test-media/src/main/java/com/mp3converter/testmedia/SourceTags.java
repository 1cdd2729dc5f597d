package com.mp3converter.testmedia;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tags and chapters the tagged samples carry, in Japanese, Arabic and English, written by FFmpeg from an
 * FFMETADATA text given inline (a {@code data:} URI), so no argument depends on the machine's locale.
 */
public final class SourceTags {
    public static final String TITLE = "夜明けのテスト";
    public static final String ARTIST = "فرقة الاختبار";
    public static final String ALBUM = "Test Album — アルバム";
    public static final String ALBUM_ARTIST = "Various Artists";
    public static final String DATE = "2024-05-17";
    public static final String GENRE = "Documentary";
    public static final String TRACK = "3/12";
    public static final String COMMENT = "Généré par FFmpeg";
    public static final String LANGUAGE = "jpn";

    /** A chapter: start and end in milliseconds, and its title. */
    public record Chapter(long startMs, long endMs, String title) {
    }

    public static final List<Chapter> CHAPTERS = List.of(new Chapter(0, 1500, "はじめに"),
            new Chapter(1500, 3250, "الفصل الثاني"), new Chapter(3250, 6000, "Third part"));

    /** The container tags by FFmpeg's generic names, in a fixed order (the recipe's hash names the file). */
    public static final Map<String, String> TAGS = Collections.unmodifiableMap(new TreeMap<>(Map.of("title", TITLE, "artist", ARTIST,
            "album", ALBUM, "album_artist", ALBUM_ARTIST, "date", DATE, "genre", GENRE, "track", TRACK,
            "comment", COMMENT, "language", LANGUAGE)));

    private SourceTags() {
    }

    /** The ffmpeg input arguments of the FFMETADATA (tags, and the chapters when asked). */
    static List<String> input(boolean chapters) {
        return input(chapters ? CHAPTERS : List.of());
    }

    /** The tags and these chapters. */
    static List<String> input(List<Chapter> chapters) {
        StringBuilder text = new StringBuilder(";FFMETADATA1\n");
        TAGS.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        for (Chapter chapter : chapters) {
            text.append("\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=").append(chapter.startMs()).append("\nEND=")
                    .append(chapter.endMs()).append("\ntitle=").append(chapter.title()).append('\n');
        }
        return List.of("-f", "ffmetadata", "-i", "data:text/plain;base64,"
                + Base64.getEncoder().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
