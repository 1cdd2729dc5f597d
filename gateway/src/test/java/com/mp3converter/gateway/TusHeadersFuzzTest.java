package com.mp3converter.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.testing.Fuzzing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * tus request headers as any client may write them (seeds in TusHeadersFuzzTestInputs): {@code Upload-Length} and
 * {@code Upload-Offset} are a byte count or a 400 in words, {@code Upload-Metadata} is pairs or a 400 in words;
 * metadata a tus client writes reads back as it was written.
 */
class TusHeadersFuzzTest {
    /** Each property below, picked by the input (Fuzzing.oneOf). */
    @FuzzTest
    void fuzz(FuzzedDataProvider data) throws Exception {
        Fuzzing.oneOf(data::consumeInt,
                () -> anyByteCountIsANumberOfBytesOrA400(data),
                () -> anyMetadataIsPairsOrA400(data),
                () -> metadataATusClientWritesReadsBackAsWritten(data));
    }

    private static void anyByteCountIsANumberOfBytesOrA400(FuzzedDataProvider data) {
        String value = data.consumeRemainingAsString();
        try {
            long bytes = TusHeaders.bytes("Upload-Offset", value);
            assertThat(value, bytes >= 0 && Long.toString(bytes).equals(value.trim().replaceFirst("^0+(?=.)", "")),
                    is(true));
        } catch (ProblemException refused) {
            Fuzzing.assertRefusal(refused.problem().status(), refused.problem().detail());
        }
    }

    private static void anyMetadataIsPairsOrA400(FuzzedDataProvider data) {
        String header = data.consumeRemainingAsString();
        try {
            Map<String, String> pairs = TusHeaders.metadata(header);
            assertThat(pairs.size(), lessThanOrEqualTo(TusHeaders.MAX_METADATA_CHARS / 2 + 1));
            pairs.keySet().forEach(key -> assertThat(key, key.isEmpty() || !key.chars().allMatch(c -> c > 0x20 && c < 0x7F),
                    is(false)));
        } catch (ProblemException refused) {
            Fuzzing.assertRefusal(refused.problem().status(), refused.problem().detail());
        }
    }

    private static void metadataATusClientWritesReadsBackAsWritten(FuzzedDataProvider data) {
        Map<String, String> written = new LinkedHashMap<>();
        int count = data.consumeInt(0, 8);
        for (int i = 0; i < count; i++) {
            String key = data.consumeAsciiString(20).chars().filter(c -> c > 0x20 && c < 0x7F && c != ',')
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            String value = new String(data.consumeString(100).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            if (!key.isEmpty()) {
                written.putIfAbsent(key, value);
            }
        }
        // tus-js-client: "key base64" pairs joined by commas, a key alone when its value is empty
        String header = written.entrySet().stream().map(e -> e.getValue().isEmpty() && data.consumeBoolean() ? e.getKey()
                : e.getKey() + " " + Base64.getEncoder().encodeToString(e.getValue().getBytes(StandardCharsets.UTF_8)))
                .collect(Collectors.joining(","));
        if (header.length() > TusHeaders.MAX_METADATA_CHARS) {
            return;
        }
        assertThat(header, TusHeaders.metadata(header), is(written));
    }
}
