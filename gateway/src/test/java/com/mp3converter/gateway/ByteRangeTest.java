package com.mp3converter.gateway;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Range requests as RFC 9110 §14.1.2 reads them, against a 1000-byte file. */
class ByteRangeTest {
    private static final long SIZE = 1000;

    @Test
    void aFirstAndLastBytePositionServeExactlyThoseBytes() throws Exception {
        assertThat(range("bytes=0-499"), is(Optional.of(new ByteRange(0, 499))));
        assertThat(range("bytes=500-999").orElseThrow().length(), is(500L));
        assertThat("one byte", range("bytes=7-7").orElseThrow().length(), is(1L));
        assertThat("spaces and case are tolerated", range(" BYTES= 10 - 20 "), is(Optional.of(new ByteRange(10, 20))));
    }

    @Test
    void anOpenOrOverlongEndStopsAtTheLastByte() throws Exception {
        assertThat(range("bytes=900-"), is(Optional.of(new ByteRange(900, 999))));
        assertThat(range("bytes=900-5000"), is(Optional.of(new ByteRange(900, 999))));
    }

    @Test
    void aSuffixServesTheLastBytesAndAllOfAShortFile() throws Exception {
        assertThat(range("bytes=-100"), is(Optional.of(new ByteRange(900, 999))));
        assertThat(range("bytes=-5000"), is(Optional.of(new ByteRange(0, 999))));
    }

    @Test
    void whatCannotBeSatisfiedIs416() {
        assertThrows(ByteRange.Unsatisfiable.class, () -> range("bytes=1000-"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> range("bytes=5000-6000"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> range("bytes=-0"));
        assertThrows(ByteRange.Unsatisfiable.class, () -> ByteRange.parse("bytes=-10", 0));
    }

    @Test
    void whatIsNotASingleByteRangeServesTheWholeFile() throws Exception {
        for (String ignored : new String[] {null, "", "items=0-10", "bytes=0-10,20-30", "bytes=10", "bytes=-",
                "bytes=20-10", "bytes=a-b", "bytes=0x10-20", "bytes=99999999999999999999-", "bytes=--5"}) {
            assertThat(String.valueOf(ignored), range(ignored), is(Optional.empty()));
        }
    }

    private static Optional<ByteRange> range(String header) throws ByteRange.Unsatisfiable {
        return ByteRange.parse(header, SIZE);
    }
}
