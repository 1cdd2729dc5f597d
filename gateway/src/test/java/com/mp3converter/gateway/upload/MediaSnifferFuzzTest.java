package com.mp3converter.gateway.upload;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * The first bytes of any upload (seeds in MediaSnifferFuzzTestInputs: the heads of the test media): sniffing never
 * fails, names one of the types we accept or none, and reads only the bytes that arrived (what lies in the buffer
 * past them is an earlier read's).
 */
class MediaSnifferFuzzTest {
    private static final Set<String> TYPES = Set.of("video/mp4", "video/quicktime", "video/x-matroska",
            "video/x-msvideo", "audio/wav", "audio/aiff", "audio/ogg", "audio/flac", "video/x-flv", "video/x-ms-asf",
            "video/mpeg", "video/mp2t", "audio/mpeg", "audio/aac", "audio/amr");

    @FuzzTest
    void anyHeadIsOneOfOurTypesOrNoneFromTheBytesThatArrived(FuzzedDataProvider data) {
        byte[] stale = data.consumeBytes(MediaSniffer.BYTES_NEEDED);
        byte[] head = data.consumeRemainingAsBytes();
        int length = Math.min(head.length, MediaSniffer.BYTES_NEEDED);
        byte[] buffer = Arrays.copyOf(head, MediaSniffer.BYTES_NEEDED);
        System.arraycopy(stale, 0, buffer, length, Math.min(stale.length, buffer.length - length));
        Optional<String> type = MediaSniffer.sniff(buffer, length);
        type.ifPresent(t -> assertThat(t, TYPES.contains(t), is(true)));
        assertThat("what lies past the bytes read changes nothing", MediaSniffer.sniff(Arrays.copyOf(head, length), length),
                is(type));
    }
}
