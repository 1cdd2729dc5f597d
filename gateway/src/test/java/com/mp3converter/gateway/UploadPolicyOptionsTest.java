package com.mp3converter.gateway;

import java.util.HashMap;
import java.util.Map;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.ProblemException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The conversion options as /upload's fields and tus metadata give them: read, or refused in words. */
class UploadPolicyOptionsTest {

    @Test
    void everyOptionIsRead() {
        Events.Options options = UploadPolicy.options(Map.of("bitrate", "128", "title", " Mon titre ", "artist", "فرقة",
                "cover", "Frame", "loudness", "-16", "start", "1:02.5", "end", "01:02:03.250", "filename", "x.mp4"));
        assertThat(options, is(new Events.Options(128, null, "Mon titre", "فرقة", "frame", -16.0, 62.5, 3723.25)));
        assertThat(UploadPolicy.options(Map.of("start", "90", "end", "90.5", "loudness", "\u221214.5")),
                is(new Events.Options(null, null, null, null, null, -14.5, 90.0, 90.5)));
    }

    @Test
    void blankValuesAreOptionsNotGiven() {
        Map<String, String> blank = new HashMap<>();
        for (String name : new String[] {"bitrate", "quality", "title", "artist", "cover", "loudness", "start", "end"}) {
            blank.put(name, " ");
        }
        assertThat(UploadPolicy.options(blank), is(Events.Options.DEFAULT));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "loudness|-4|from -70 to -5",
        "loudness|-71|from -70 to -5",
        "loudness|loud|from -70 to -5",
        "loudness|NaN|from -70 to -5",
        "cover|picture|auto",
        "start|-1|seconds (90 or 90.5) or hh:mm:ss.mmm",
        "start|1:75|seconds (90 or 90.5) or hh:mm:ss.mmm",
        "start|1:2:3:4|seconds (90 or 90.5) or hh:mm:ss.mmm",
        "end|abc|seconds (90 or 90.5) or hh:mm:ss.mmm",
        "end|0|must be after the beginning",
        "quality|10|from 0 to 9",
        "title|a\u0007b|at most 200 characters on one line"})
    void aBadValueIsRefusedInWordsThatSayWhatWouldDo(String name, String value, String words) {
        ProblemException e = assertThrows(ProblemException.class, () -> UploadPolicy.options(Map.of(name, value)));
        assertThat(e.problem().status(), is(400));
        assertThat(e.getMessage(), containsString(words));
    }

    @Test
    void anEndBeforeTheStartAndOverlongTextAreRefused() {
        ProblemException e = assertThrows(ProblemException.class, () -> UploadPolicy.options(Map.of("start", "10", "end", "5")));
        assertThat(e.getMessage(), containsString("'end' must be after 'start'"));
        assertThrows(ProblemException.class, () -> UploadPolicy.options(Map.of("title", "x".repeat(201))));
        assertThat(UploadPolicy.options(Map.of("title", "x".repeat(200))).title().length(), is(200));
        assertThat(e.getMessage(), not(containsString("Exception")));
    }
}
