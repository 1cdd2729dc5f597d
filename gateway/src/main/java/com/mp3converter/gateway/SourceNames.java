package com.mp3converter.gateway;

/** Uploaded file names made safe to store, show and put in a Content-Disposition header. */
public final class SourceNames {
    private SourceNames() {
    }

    /** The last path segment, without control characters, at most {@code max} characters. */
    public static String clean(String raw, int max) {
        String name = raw.replace('\\', '/');
        name = name.substring(name.lastIndexOf('/') + 1);
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().filter(c -> !Character.isISOControl(c) && c != '"')
                .forEach(out::appendCodePoint);
        String cleaned = out.toString().strip();
        if (cleaned.isEmpty() || cleaned.equals(".") || cleaned.equals("..")) {
            cleaned = "upload";
        }
        return cleaned.codePointCount(0, cleaned.length()) > max
                ? cleaned.substring(0, cleaned.offsetByCodePoints(0, max)) : cleaned;
    }

    /** The MP3's name for a source: its base name with .mp3. */
    public static String mp3Name(String sourceName) {
        int dot = sourceName.lastIndexOf('.');
        String base = dot > 0 ? sourceName.substring(0, dot) : sourceName;
        return base + ".mp3";
    }
}
