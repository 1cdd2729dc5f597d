package com.mp3converter.common.http;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.testing.Fuzzing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * What every service reads of a request the same way (seeds in RequestPartsFuzzTestInputs): JSON bodies, integer
 * query parameters and {@code X-Forwarded-For}. Each is a value or a 400 in words; a JSON object written out reads
 * back as itself; a body is read no further than its limit whatever it declares.
 */
class RequestPartsFuzzTest {
    private static final int MAX_BYTES = 4096;

    /** Each property below, picked by the input (Fuzzing.oneOf). */
    @FuzzTest
    void fuzz(FuzzedDataProvider data) throws Exception {
        Fuzzing.oneOf(data::consumeInt,
                () -> anyJsonBodyIsAnObjectOrA400ReadNoFurtherThanTheLimit(data),
                () -> anyIntegerParameterIsInItsRangeOrA400(data),
                () -> anIntegerWrittenOutReadsBackAsItself(data),
                () -> theClientAddressIsTheEntryTheOutermostTrustedProxyWrote(data));
    }

    private static void anyJsonBodyIsAnObjectOrA400ReadNoFurtherThanTheLimit(FuzzedDataProvider data) throws IOException {
        int maxRead = data.consumeInt(1, 512);
        byte[] body = data.consumeRemainingAsBytes();
        Fuzzing.Trickle in = Fuzzing.trickle(body, () -> maxRead);
        try {
            JsonNode node = Json.object(in, MAX_BYTES);
            assertThat(node.isObject(), is(true));
            assertThat("an object written out reads back as itself", Json.object(
                    Fuzzing.trickle(Json.bytes(node), () -> maxRead), Integer.MAX_VALUE - 1), is(node));
        } catch (ProblemException refused) {
            Fuzzing.assertRefusal(refused.problem().status(), refused.problem().detail());
        }
        assertThat("bytes read of the body", in.taken(), lessThanOrEqualTo(MAX_BYTES + 1));
    }

    private static void anyIntegerParameterIsInItsRangeOrA400(FuzzedDataProvider data) {
        int min = data.consumeInt();
        int max = data.consumeInt(min, Integer.MAX_VALUE);
        int fallback = data.consumeInt(min, max);
        Optional<String> raw = data.consumeBoolean() ? Optional.empty() : Optional.of(data.consumeRemainingAsString());
        try {
            int value = Problems.intParam(raw, "limit", fallback, min, max);
            assertThat(value >= min && value <= max, is(true));
            assertThat(raw.isEmpty() ? value == fallback : Integer.parseInt(raw.get().trim()) == value, is(true));
        } catch (ProblemException refused) {
            Fuzzing.assertRefusal(refused.problem().status(), refused.problem().detail());
            assertThat(refused.problem().detail(), refused.problem().detail().contains("from " + min + " to " + max), is(true));
        }
    }

    private static void anIntegerWrittenOutReadsBackAsItself(FuzzedDataProvider data) {
        int min = data.consumeInt();
        int max = data.consumeInt(min, Integer.MAX_VALUE);
        int value = data.consumeInt(min, max);
        String padding = data.pickValue(List.of("", " ", "\t", "  "));
        assertThat(Problems.intParam(Optional.of(padding + value + padding), "offset", min, min, max), is(value));
    }

    private static void theClientAddressIsTheEntryTheOutermostTrustedProxyWrote(FuzzedDataProvider data) {
        int trusted = data.consumeInt(0, 3);
        String peer = "10.0.0." + data.consumeInt(1, 254);
        List<String> headers = new ArrayList<>();
        int count = data.consumeInt(0, 4);
        for (int i = 0; i < count; i++) {
            headers.add(data.consumeString(120));
        }
        List<String> entries = new ArrayList<>();
        headers.forEach(h -> {
            for (String entry : h.split(",")) {
                if (!entry.isBlank()) {
                    entries.add(entry.trim());
                }
            }
        });
        String address = Headers.clientAddress(headers, peer, trusted);
        if (trusted == 0 || entries.size() < trusted) {
            assertThat(address, is(peer));
        } else {
            assertThat("never an entry left of the trusted proxies' (a client may have written it)", address,
                    is(entries.get(entries.size() - trusted)));
        }
    }
}
