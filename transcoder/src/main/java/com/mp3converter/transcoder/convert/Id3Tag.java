package com.mp3converter.transcoder.convert;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The ID3v2.3 tag at the head of an MP3: v2.3 rather than 2.4 because it is what Windows and older players read,
 * and the chapter frames (CHAP, CTOC) and TXXX are defined for it too. Text is ISO-8859-1 when it fits, else
 * UTF-16 with a byte-order mark. Its size is fixed when it is made, before any audio is encoded: everything
 * known up front (text, picture, chapter titles) is in it, and room is reserved for what is only known at the
 * end (the chapters' times relative to the MP3's first sample, the ReplayGain frames), so the MP3's first bytes
 * can be written last without moving the audio.
 */
final class Id3Tag {
    /** At most this many chapters: CTOC counts its entries in one byte. */
    static final int MAX_CHAPTERS = 255;
    private static final int HEADER = 10;
    private static final String GAIN = "REPLAYGAIN_TRACK_GAIN";
    private static final String PEAK = "REPLAYGAIN_TRACK_PEAK";

    /**
     * A chapter as the MP3 shows it: start and end in milliseconds from the MP3's first sample; its title from the
     * source's metadata cleaned like every other text ({@link Tags#clean}: a NUL would end the frame's text early).
     */
    record Chapter(long startMs, long endMs, String title) {
        Chapter {
            title = Tags.clean(title);
        }
    }

    /** ReplayGain 2.0: the track's gain to −18 LUFS in dB and its sample peak (1.0 = full scale). */
    record ReplayGain(double gainDb, double peak) {
        String gain() {
            return String.format(Locale.ROOT, "%+.2f dB", Math.max(-99.99, Math.min(99.99, gainDb)));
        }

        String peakText() {
            return String.format(Locale.ROOT, "%.6f", Math.max(0, Math.min(99.999999, peak)));
        }
    }

    /** A picture for the APIC frame (front cover). */
    record Cover(String mimeType, byte[] data) {
    }

    private final byte[] fixed;
    private final List<String> chapterTitles;
    private final int chapterCount;
    private final int size;

    /** The frames known now and room for the chapters' times and ReplayGain; chapters beyond 255 are not kept. */
    Id3Tag(Tags tags, Cover cover, List<String> chapterTitles) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        text(frames, "TIT2", tags.title());
        text(frames, "TPE1", tags.artist());
        text(frames, "TALB", tags.album());
        text(frames, "TPE2", tags.albumArtist());
        text(frames, "TYER", tags.year());
        text(frames, "TDAT", tags.dayMonth());
        text(frames, "TCON", tags.genre());
        text(frames, "TRCK", tags.track());
        text(frames, "TLAN", tags.language());
        if (tags.comment() != null) {
            frame(frames, "COMM", concat(new byte[] {encoding(tags.comment())},
                    (tags.language() == null ? "und" : tags.language()).getBytes(StandardCharsets.ISO_8859_1),
                    encoded("", encoding(tags.comment())), encoded(tags.comment(), encoding(tags.comment()))));
        }
        if (cover != null) {
            frame(frames, "APIC", concat(new byte[] {0}, latin1(cover.mimeType()), new byte[] {3, 0}, cover.data()));
        }
        fixed = frames.toByteArray();
        chapterCount = Math.min(MAX_CHAPTERS, chapterTitles.size());
        this.chapterTitles = chapterTitles.subList(0, chapterCount);
        int room = chapterFrames(chapters(0)).length + replayGainFrames(new ReplayGain(-99.99, 99.999999)).length;
        size = HEADER + fixed.length + room;
    }

    /** The tag's size in bytes, header included: the MP3's audio starts there. */
    int size() {
        return size;
    }

    /** How many chapters the tag holds (the first {@link #MAX_CHAPTERS} of those given). */
    int chapterCount() {
        return chapterCount;
    }

    /**
     * The whole tag, exactly {@link #size()} bytes: the frames, the chapters with these times (as many as were
     * given when the tag was made, in the same order), ReplayGain when measured (null: not), zeros after.
     */
    byte[] render(List<Chapter> chapters, ReplayGain replayGain) {
        if (chapters.size() != chapterCount) {
            throw new IllegalArgumentException("the tag was made for " + chapterCount + " chapters");
        }
        ByteBuffer tag = ByteBuffer.allocate(size);
        tag.put("ID3".getBytes(StandardCharsets.US_ASCII)).put((byte) 3).put((byte) 0).put((byte) 0)
                .put(synchsafe(size - HEADER));
        tag.put(fixed).put(chapterFrames(chapters));
        if (replayGain != null) {
            tag.put(replayGainFrames(replayGain));
        }
        return tag.array();
    }

    private List<Chapter> chapters(long ms) {
        return chapterTitles.stream().map(title -> new Chapter(ms, ms, title)).toList();
    }

    private static byte[] replayGainFrames(ReplayGain gain) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        frame(frames, "TXXX", concat(new byte[] {0}, latin1(GAIN), latin1(gain.gain())));
        frame(frames, "TXXX", concat(new byte[] {0}, latin1(PEAK), latin1(gain.peakText())));
        return frames.toByteArray();
    }

    /** One CHAP per chapter (times in ms, no byte offsets, the title as a TIT2 sub-frame) and the CTOC listing them. */
    private static byte[] chapterFrames(List<Chapter> chapters) {
        if (chapters.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        ByteArrayOutputStream children = new ByteArrayOutputStream();
        for (int i = 0; i < chapters.size(); i++) {
            Chapter chapter = chapters.get(i);
            byte[] id = latin1("ch" + i);
            children.writeBytes(id);
            ByteArrayOutputStream title = new ByteArrayOutputStream();
            text(title, "TIT2", chapter.title());
            frame(frames, "CHAP", concat(id, ByteBuffer.allocate(16).putInt((int) chapter.startMs())
                    .putInt((int) chapter.endMs()).putInt(-1).putInt(-1).array(), title.toByteArray()));
        }
        frame(frames, "CTOC", concat(latin1("toc"), new byte[] {3, (byte) chapters.size()}, children.toByteArray()));
        return frames.toByteArray();
    }

    private static void text(ByteArrayOutputStream frames, String id, String value) {
        if (value != null && !value.isEmpty()) {
            byte encoding = encoding(value);
            frame(frames, id, concat(new byte[] {encoding}, encoded(value, encoding)));
        }
    }

    private static void frame(ByteArrayOutputStream frames, String id, byte[] body) {
        frames.writeBytes(id.getBytes(StandardCharsets.US_ASCII));
        frames.writeBytes(ByteBuffer.allocate(4).putInt(body.length).array());
        frames.writeBytes(new byte[2]);
        frames.writeBytes(body);
    }

    /** 0: ISO-8859-1, 1: UTF-16 with a byte-order mark. */
    private static byte encoding(String value) {
        return StandardCharsets.ISO_8859_1.newEncoder().canEncode(value) ? (byte) 0 : (byte) 1;
    }

    /** The text in the encoding, with its terminator. */
    private static byte[] encoded(String value, byte encoding) {
        return encoding == 0 ? latin1(value) : concat(new byte[] {(byte) 0xFF, (byte) 0xFE},
                value.getBytes(StandardCharsets.UTF_16LE), new byte[2]);
    }

    private static byte[] latin1(String value) {
        return concat(value.getBytes(StandardCharsets.ISO_8859_1), new byte[1]);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    private static byte[] synchsafe(int size) {
        return new byte[] {(byte) (size >> 21 & 0x7F), (byte) (size >> 14 & 0x7F), (byte) (size >> 7 & 0x7F), (byte) (size & 0x7F)};
    }
}
