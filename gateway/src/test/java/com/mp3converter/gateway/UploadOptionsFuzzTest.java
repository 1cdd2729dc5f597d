package com.mp3converter.gateway;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.testing.Fuzzing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * The conversion options as any client may send them, as /upload's form fields or tus metadata (seeds in
 * UploadOptionsFuzzTestInputs): each set is options within their bounds or a 400 {@code bad-options} in words;
 * options written out as a client writes them read back as themselves.
 */
class UploadOptionsFuzzTest {
    private static final List<String> NAMES = List.of("bitrate", "quality", "title", "artist", "cover", "loudness",
            "start", "end", "filename");

    /** Each property below, picked by the input (Fuzzing.oneOf). */
    @FuzzTest
    void fuzz(FuzzedDataProvider data) throws Exception {
        Fuzzing.oneOf(data::consumeInt,
                () -> anyFieldsAreOptionsInTheirBoundsOrA400InWords(data),
                () -> optionsWrittenOutReadBackAsThemselves(data));
    }

    private static void anyFieldsAreOptionsInTheirBoundsOrA400InWords(FuzzedDataProvider data) {
        Map<String, String> fields = new HashMap<>();
        int count = data.consumeInt(0, 8);
        for (int i = 0; i < count; i++) {
            fields.put(data.pickValue(NAMES), data.consumeString(64));
        }
        Events.Options options;
        try {
            options = UploadPolicy.options(fields);
        } catch (ProblemException refused) {
            assertThat(refused.problem().type(), refused.problem().type().endsWith("/bad-options"), is(true));
            Fuzzing.assertRefusal(refused.problem().status(), refused.problem().detail());
            return;
        }
        assertThat(options.toString(), options.bitrateKbps() == null || options.bitrateKbps() >= 32 && options.bitrateKbps() <= 320, is(true));
        assertThat(options.toString(), options.vbrQuality() == null || options.vbrQuality() >= 0 && options.vbrQuality() <= 9, is(true));
        assertThat(options.toString(), options.bitrateKbps() == null || options.vbrQuality() == null, is(true));
        assertThat(options.toString(), options.loudness() == null || options.loudness() >= -70 && options.loudness() <= -5, is(true));
        assertThat(options.toString(), options.start() == null || options.start() >= 0 && options.start() <= 360_000, is(true));
        assertThat(options.toString(), options.end() == null || options.end() > (options.start() == null ? 0 : options.start())
                && options.end() <= 360_000, is(true));
        assertThat(options.toString(), options.cover() == null || List.of("auto", "frame", "none").contains(options.cover()), is(true));
        for (String text : new String[] {options.title(), options.artist()}) {
            assertThat(text, text == null || !text.isBlank() && text.codePointCount(0, text.length()) <= 200
                    && text.codePoints().noneMatch(Character::isISOControl), is(true));
        }
    }

    private static void optionsWrittenOutReadBackAsThemselves(FuzzedDataProvider data) {
        Map<String, String> fields = new HashMap<>();
        Integer bitrate = data.consumeBoolean() ? data.consumeInt(32, 320) : null;
        Integer quality = bitrate == null && data.consumeBoolean() ? data.consumeInt(0, 9) : null;
        Double loudness = data.consumeBoolean() ? data.consumeInt(-7000, -500) / 100.0 : null;
        Double start = data.consumeBoolean() ? data.consumeLong(0, 359_000_000) / 1000.0 : null;
        Double end = data.consumeBoolean() ? data.consumeLong(start == null ? 1 : Math.round(start * 1000) + 1,
                360_000_000) / 1000.0 : null;
        String cover = data.consumeBoolean() ? data.pickValue(List.of("auto", "frame", "none")) : null;
        String title = data.consumeBoolean() ? text(data.consumeString(200)) : null;
        String artist = data.consumeBoolean() ? text(data.consumeString(200)) : null;
        put(fields, "bitrate", bitrate);
        put(fields, "quality", quality);
        put(fields, "loudness", loudness == null ? null : String.format(Locale.ROOT, "%.2f", loudness));
        put(fields, "start", start == null ? null : data.consumeBoolean() ? seconds(start) : clock(start));
        put(fields, "end", end == null ? null : data.consumeBoolean() ? seconds(end) : clock(end));
        put(fields, "cover", cover == null ? null : data.consumeBoolean() ? cover.toUpperCase(Locale.ROOT) : cover);
        put(fields, "title", title);
        put(fields, "artist", artist);
        assertThat(fields.toString(), UploadPolicy.options(fields),
                is(new Events.Options(bitrate, quality, title, artist, cover, loudness, start, end)));
    }

    /** A title as a person types it: one line, trimmed, something in it. */
    private static String text(String typed) {
        String line = typed.codePoints().filter(c -> !Character.isISOControl(c) && !Character.isSurrogate((char) c))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().strip();
        return line.isEmpty() ? null : line;
    }

    private static void put(Map<String, String> fields, String name, Object value) {
        if (value != null) {
            fields.put(name, value.toString());
        }
    }

    private static String seconds(double seconds) {
        return String.format(Locale.ROOT, "%.3f", seconds);
    }

    private static String clock(double seconds) {
        long ms = Math.round(seconds * 1000);
        return String.format(Locale.ROOT, "%d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    }
}
