package com.mp3converter.transcoder.convert;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jaudiotagger.tag.FieldKey;
import org.jaudiotagger.tag.id3.ID3v23Tag;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The ID3v2.3 tag made from what an uploaded file says about itself (its tags, picture and chapters: anything a
 * client can write into a container) and the owner's title and artist (seeds in Id3TagFuzzTestInputs). Whatever
 * they hold, the tag is exactly the size reserved for it, bounded, well-formed frame by frame (read here strictly
 * and by jaudiotagger, a reader we did not write), and says back what it was given, cleaned.
 */
class Id3TagFuzzTest {
    private static final List<String> KEYS = List.of("title", "artist", "performer", "author", "album", "album_artist",
            "albumartist", "date", "year", "genre", "track", "tracknumber", "comment", "description", "language");
    /** Frame header and encoding, a BOM and terminator, each character in at most 2 UTF-16 units of 2 bytes. */
    private static final int MAX_TEXT_FRAME = 10 + 1 + 4 + 4 * Tags.MAX_CHARS;

    @FuzzTest
    void anyMetadataMakesAWellFormedBoundedTagThatSaysItBack(FuzzedDataProvider data) throws Exception {
        Map<String, String> source = new HashMap<>();
        int count = data.consumeInt(0, 12);
        for (int i = 0; i < count; i++) {
            source.put(data.consumeBoolean() ? data.pickValue(KEYS) : text(data.consumeString(10)), text(data.consumeString(1200)));
        }
        String title = data.consumeBoolean() ? text(data.consumeString(250)) : null;
        String artist = data.consumeBoolean() ? text(data.consumeString(250)) : null;
        Tags tags = Tags.of(source, title, artist, text(data.consumeString(300)));
        Id3Tag.Cover cover = data.consumeBoolean() ? new Id3Tag.Cover(data.pickValue(List.of("image/jpeg", "image/png")),
                data.consumeBytes(data.consumeInt(1, 20_000))) : null;
        List<String> titles = new ArrayList<>();
        int chapters = data.consumeBoolean() ? data.consumeInt(0, 300) : data.consumeInt(0, 3);
        for (int i = 0; i < chapters; i++) {
            titles.add(text(data.consumeString(i < 3 ? 1500 : 20)));
        }
        Id3Tag tag = new Id3Tag(tags, cover, titles);
        List<Id3Tag.Chapter> times = new ArrayList<>();
        for (int i = 0; i < tag.chapterCount(); i++) {
            long start = data.consumeLong(0, Integer.MAX_VALUE);
            times.add(new Id3Tag.Chapter(start, data.consumeLong(start, Integer.MAX_VALUE), titles.get(i)));
        }
        Id3Tag.ReplayGain gain = data.consumeBoolean() ? new Id3Tag.ReplayGain(data.consumeRegularDouble(),
                data.consumeRegularDouble()) : null;

        byte[] bytes = tag.render(times, gain);
        assertThat("the size reserved before the audio", bytes.length, is(tag.size()));
        assertThat("bounded whatever the file says", bytes.length, lessThanOrEqualTo(10 + 10 * MAX_TEXT_FRAME
                + (cover == null ? 0 : 25 + cover.data().length) + Id3Tag.MAX_CHAPTERS * (36 + MAX_TEXT_FRAME) + 1200));
        assertThat(tag.chapterCount(), is(Math.min(Id3Tag.MAX_CHAPTERS, titles.size())));

        Map<String, List<byte[]>> frames = frames(bytes);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("TIT2", tags.title());
        expected.put("TPE1", tags.artist());
        expected.put("TALB", tags.album());
        expected.put("TPE2", tags.albumArtist());
        expected.put("TYER", tags.year());
        expected.put("TDAT", tags.dayMonth());
        expected.put("TCON", tags.genre());
        expected.put("TRCK", tags.track());
        expected.put("TLAN", tags.language());
        expected.forEach((id, value) -> assertThat(id, frames.containsKey(id) ? text(frames.get(id).getFirst(), 0) : null,
                is(value)));
        if (cover != null) {
            byte[] apic = frames.get("APIC").getFirst();
            int mimeEnd = indexOf(apic, 1, (byte) 0);
            assertThat(new String(apic, 1, mimeEnd - 1, StandardCharsets.ISO_8859_1), is(cover.mimeType()));
            assertArrayEquals(cover.data(), Arrays.copyOfRange(apic, mimeEnd + 3, apic.length));
        }
        List<byte[]> chap = frames.getOrDefault("CHAP", List.of());
        assertThat(chap.size(), is(tag.chapterCount()));
        for (int i = 0; i < chap.size(); i++) {
            ByteBuffer body = ByteBuffer.wrap(chap.get(i));
            int idEnd = indexOf(chap.get(i), 0, (byte) 0);
            body.position(idEnd + 1);
            assertThat((long) body.getInt(), is(times.get(i).startMs()));
            assertThat((long) body.getInt(), is(times.get(i).endMs()));
            Map<String, List<byte[]>> sub = frames(chap.get(i), idEnd + 17, chap.get(i).length);
            assertThat("chapter " + i + "'s title", sub.containsKey("TIT2") ? text(sub.get("TIT2").getFirst(), 0) : null,
                    is(Tags.clean(titles.get(i))));
        }
        assertThat(frames.containsKey("TXXX"), is(gain != null));

        ID3v23Tag read = new ID3v23Tag(ByteBuffer.wrap(bytes), "fuzz");
        assertLatin1ReadBack("title", read.getFirst(FieldKey.TITLE), tags.title());
        assertLatin1ReadBack("artist", read.getFirst(FieldKey.ARTIST), tags.artist());
        assertLatin1ReadBack("album", read.getFirst(FieldKey.ALBUM), tags.album());
    }

    /**
     * jaudiotagger reads an ISO-8859-1 text exactly as we wrote it. (Of UTF-16 text it leaves out some characters it
     * does not expect, U+FFFD and U+FDFF among them: the strict reading above checks those frames.)
     */
    private static void assertLatin1ReadBack(String field, String read, String written) {
        if (written == null || StandardCharsets.ISO_8859_1.newEncoder().canEncode(written)) {
            assertThat("jaudiotagger's " + field, read, is(written == null ? "" : written));
        }
    }

    /** A string as FFmpeg hands it over: decoded from UTF-8, so never half a surrogate pair. */
    private static String text(String raw) {
        return new String(raw.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /** The frames of a whole tag, read strictly: an ID3v2.3 header whose size is the rest, then frames, then zeros. */
    private static Map<String, List<byte[]>> frames(byte[] tag) {
        assertThat(new String(tag, 0, 5, StandardCharsets.ISO_8859_1), is("ID3\u0003\u0000"));
        assertThat("flags", tag[5], is((byte) 0));
        int size = (tag[6] & 0x7F) << 21 | (tag[7] & 0x7F) << 14 | (tag[8] & 0x7F) << 7 | tag[9] & 0x7F;
        assertThat("the header's size is the rest of the tag", size, is(tag.length - 10));
        return frames(tag, 10, tag.length);
    }

    private static Map<String, List<byte[]>> frames(byte[] bytes, int from, int to) {
        Map<String, List<byte[]>> frames = new LinkedHashMap<>();
        int at = from;
        while (at + 10 <= to && bytes[at] != 0) {
            String id = new String(bytes, at, 4, StandardCharsets.ISO_8859_1);
            assertThat("a frame id: " + id, id.matches("[A-Z0-9]{4}"), is(true));
            int size = ByteBuffer.wrap(bytes, at + 4, 4).getInt();
            assertThat(id + " fits in the tag", size >= 1 && at + 10 + size <= to, is(true));
            frames.computeIfAbsent(id, k -> new ArrayList<>()).add(Arrays.copyOfRange(bytes, at + 10, at + 10 + size));
            at += 10 + size;
        }
        for (int i = at; i < to; i++) {
            assertThat("padding is zeros", bytes[i], is((byte) 0));
        }
        return frames;
    }

    /**
     * A text frame's text: ISO-8859-1, or UTF-16 after one byte-order mark; ending in its terminator and nowhere
     * before.
     */
    private static String text(byte[] body, int from) {
        if (body[from] == 0) {
            int end = indexOf(body, from + 1, (byte) 0);
            assertThat("the terminator ends the frame", end, is(body.length - 1));
            return new String(body, from + 1, end - from - 1, StandardCharsets.ISO_8859_1);
        }
        assertThat("UTF-16 with a BOM", body[from] == 1 && body[from + 1] == (byte) 0xFF && body[from + 2] == (byte) 0xFE,
                is(true));
        String text = new String(body, from + 3, body.length - from - 5, StandardCharsets.UTF_16LE);
        assertThat("the terminator ends the frame, and nothing before it", text.indexOf('\u0000') < 0
                && body[body.length - 1] == 0 && body[body.length - 2] == 0, is(true));
        assertThat("no second byte-order mark, which a reader may take to swap the byte order: " + text,
                text.indexOf('\uFEFF') < 0 && text.indexOf('\uFFFE') < 0, is(true));
        return text;
    }

    private static int indexOf(byte[] bytes, int from, byte value) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
