package com.mp3converter.transcoder.convert;

import java.util.Map;

/**
 * The text an MP3 carries about itself, taken from the source's tags by FFmpeg's generic names (which it maps
 * from MP4 atoms, Matroska tags, Vorbis comments, FLAC and ID3), with the owner's overrides on top; the file
 * name is the title only when there is no other. Each value is cleaned of control characters and cut to
 * {@link #MAX_CHARS}. Null: not known.
 */
record Tags(String title, String artist, String album, String albumArtist, String date, String genre, String track,
            String comment, String language) {
    static final int MAX_CHARS = 1000;

    static Tags of(Map<String, String> source, String title, String artist, String fileName) {
        return new Tags(
                first(title, first(source, "title"), fileName),
                first(artist, first(source, "artist", "performer", "author")),
                first(source, "album"),
                first(source, "album_artist", "albumartist"),
                first(source, "date", "year", "date_released", "date_recorded"),
                first(source, "genre"),
                first(source, "track", "tracknumber"),
                first(source, "comment", "description"),
                language(first(source, "language")));
    }

    private static String first(Map<String, String> source, String... keys) {
        for (String key : keys) {
            String value = clean(source.get(key));
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String first(String... values) {
        for (String value : values) {
            String clean = clean(value);
            if (clean != null) {
                return clean;
            }
        }
        return null;
    }

    /** An ISO 639-2 code as ID3's TLAN wants it; "und" (undetermined) is no language. */
    private static String language(String code) {
        return code != null && code.matches("[a-zA-Z]{3}") && !code.equalsIgnoreCase("und") ? code.toLowerCase() : null;
    }

    /**
     * Without control characters, byte-order marks or noncharacters (in UTF-16 text a reader takes U+FEFF or U+FFFE
     * for a byte order, and drops it or reads on swapped), trimmed, at most {@link #MAX_CHARS} characters; null when
     * nothing is left.
     */
    static String clean(String value) {
        if (value == null) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        value.codePoints().filter(Tags::isText).limit(MAX_CHARS).forEach(text::appendCodePoint);
        String trimmed = text.toString().strip();
        return trimmed.isEmpty() ? null : trimmed;
    }

    private static boolean isText(int c) {
        return (c == '\n' || !Character.isISOControl(c)) && c != 0xFEFF && (c & 0xFFFE) != 0xFFFE
                && (c < 0xFDD0 || c > 0xFDEF);
    }

    /** The year of a date (2024, 2024-05-17, 2024-05-17T10:00:00Z), or null. */
    String year() {
        return date != null && date.matches("\\d{4}(\\D.*)?") ? date.substring(0, 4) : null;
    }

    /** DDMM of a full date (ID3v2.3's TDAT), or null. */
    String dayMonth() {
        return date != null && date.matches("\\d{4}-\\d{2}-\\d{2}.*") ? date.substring(8, 10) + date.substring(5, 7) : null;
    }
}
