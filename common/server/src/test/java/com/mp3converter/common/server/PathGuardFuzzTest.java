package com.mp3converter.common.server;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import io.helidon.common.uri.UriPath;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Request paths as any client may write them (seeds in PathGuardFuzzTestInputs): a path the guard lets through
 * means, once Helidon has decoded it as the routes see it, what it says: no '.' or '..' segment, no backslash, no
 * NUL, no '/' that was not a '/'.
 */
class PathGuardFuzzTest {
    @FuzzTest
    void aPathLetThroughHasNoDotSegmentOnceDecoded(FuzzedDataProvider data) {
        String target = "/" + data.consumeRemainingAsAsciiString();
        String raw = target.split("[?#]", 2)[0]; // the request line's path ends at its query (or a stray fragment)
        if (PathGuard.refused(raw)) {
            return;
        }
        String decoded;
        try {
            UriPath path = UriPath.create(raw);
            path.validate(); // as Helidon's HTTP/1 connection does before routing (a raw NUL or space is a 400 there)
            decoded = path.path();
        } catch (IllegalArgumentException malformed) {
            return; // answered 400
        }
        for (String segment : decoded.split("/", -1)) {
            assertThat(raw + " decodes to " + decoded, segment.equals(".") || segment.equals(".."), is(false));
        }
        assertThat(raw + " decodes to " + decoded, decoded.contains("\\") || decoded.contains("\u0000"), is(false));
        assertThat(raw + " decodes to " + decoded, decoded.chars().filter(c -> c == '/').count(),
                is(UriPath.create(raw).rawPathNoParams().chars().filter(c -> c == '/').count()));
    }
}
