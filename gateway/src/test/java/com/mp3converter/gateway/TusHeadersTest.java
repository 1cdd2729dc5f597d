package com.mp3converter.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import com.mp3converter.common.http.ProblemException;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The tus headers' values as tus 1.0.0 defines them; everything else refused with a 400 in words. */
class TusHeadersTest {
    @Test
    void metadataIsKeyAndBase64ValuePairsAndAKeyMayStandAlone() {
        Map<String, String> pairs = TusHeaders.metadata("filename " + b64("holiday 日本.mp4") + ",bitrate " + b64("192")
                + ", is_confidential");
        assertThat(pairs, is(Map.of("filename", "holiday 日本.mp4", "bitrate", "192", "is_confidential", "")));
        assertThat(TusHeaders.metadata(""), is(Map.of()));
        assertThat(TusHeaders.metadata("   "), is(Map.of()));
    }

    @Test
    void malformedMetadataIsRefusedSayingWhatIsWrong() {
        assertRefused(() -> TusHeaders.metadata("filename not-base64!"), "not base64");
        assertRefused(() -> TusHeaders.metadata("a " + b64("1") + ",a " + b64("2")), "twice");
        assertRefused(() -> TusHeaders.metadata("a b c"), "pairs");
        assertRefused(() -> TusHeaders.metadata(",a " + b64("1")), "pairs");
        assertRefused(() -> TusHeaders.metadata("ké " + b64("1")), "pairs");
        assertRefused(() -> TusHeaders.metadata("k " + "A".repeat(TusHeaders.MAX_METADATA_CHARS)), "longer than");
    }

    @Test
    void lengthsAndOffsetsAreWholeNumbersOfBytes() {
        assertThat(TusHeaders.bytes("Upload-Offset", "0"), is(0L));
        assertThat(TusHeaders.bytes("Upload-Length", " 2147483648 "), is(2_147_483_648L));
        for (String bad : new String[] {"", "-1", "+5", "1.5", "1e3", "0x10", "12 34", "9999999999999999999"}) {
            assertRefused(() -> TusHeaders.bytes("Upload-Offset", bad), "Upload-Offset must be a whole number of bytes");
        }
    }

    private static void assertRefused(Runnable parse, String words) {
        ProblemException refused = assertThrows(ProblemException.class, parse::run);
        assertThat(refused.problem().status(), is(400));
        assertThat(refused.problem().detail(), containsString(words));
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
