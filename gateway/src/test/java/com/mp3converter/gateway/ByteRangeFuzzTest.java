package com.mp3converter.gateway;

import java.util.Optional;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.testing.Fuzzing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * {@code Range} headers as a client may write them (seeds in ByteRangeFuzzTestInputs): every answer is the whole
 * file, a 416, or a range inside the file; a range we print reads back as itself.
 */
class ByteRangeFuzzTest {
    /** Positions are read up to 18 digits (a longer one is a range we ignore, as RFC 9110 allows): ample for our files. */
    private static final long LARGEST = 999_999_999_999_999_999L;

    /** Each property below, picked by the input (Fuzzing.oneOf). */
    @FuzzTest
    void fuzz(FuzzedDataProvider data) throws Exception {
        Fuzzing.oneOf(data::consumeInt,
                () -> anyHeaderIsTheWholeFileA416OrARangeInsideTheFile(data),
                () -> aRangeWrittenOutReadsBackAsItself(data));
    }

    private static void anyHeaderIsTheWholeFileA416OrARangeInsideTheFile(FuzzedDataProvider data) {
        long size = data.consumeBoolean() ? data.consumeLong(0, 4096) : data.consumeLong(0, Long.MAX_VALUE);
        String header = data.consumeRemainingAsString();
        Optional<ByteRange> range;
        try {
            range = ByteRange.parse(header, size);
        } catch (ByteRange.Unsatisfiable e) {
            return;
        }
        range.ifPresent(r -> {
            assertThat(header + " → " + r + " in " + size, 0 <= r.start() && r.start() <= r.end() && r.end() < size,
                    is(true));
            assertThat(r.length(), is(r.end() - r.start() + 1));
        });
    }

    private static void aRangeWrittenOutReadsBackAsItself(FuzzedDataProvider data) throws Exception {
        long size = data.consumeLong(1, LARGEST);
        long start = data.consumeLong(0, size - 1);
        long end = data.consumeLong(start, size - 1);
        assertThat(ByteRange.parse("bytes=" + start + "-" + end, size), is(Optional.of(new ByteRange(start, end))));
        assertThat(ByteRange.parse("bytes=" + start + "-", size), is(Optional.of(new ByteRange(start, size - 1))));
        long suffix = end - start + 1;
        assertThat(ByteRange.parse("bytes=-" + suffix, size), is(Optional.of(new ByteRange(size - suffix, size - 1))));
    }
}
