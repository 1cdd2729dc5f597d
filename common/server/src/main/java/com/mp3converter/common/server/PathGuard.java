package com.mp3converter.common.server;

import java.util.Locale;
import java.util.regex.Pattern;

import com.mp3converter.common.http.Problems;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * A request path with a dot-segment ({@code /../}, {@code /./} or their percent-encoded forms), matrix parameters
 * (any {@code ;}: Helidon takes {@code /assets/..;/jobs} for {@code /jobs} and {@code /;/jobs} for {@code /jobs},
 * where a proxy sees other paths), an empty segment (Helidon takes {@code ///jobs/1} for {@code /1}), a backslash or
 * an encoded NUL or slash is refused with 400 before any route sees it: no route of ours has such paths, and a file
 * served by path (the web page's assets) must never be resolved from one.
 */
final class PathGuard implements Filter {
    private static final Pattern DOT_SEGMENT = Pattern.compile("(^|/)(\\.|%2e){1,2}(/|$)");

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (refused(req.path().rawPath())) {
            throw Problems.badRequest("the path has a '.', '..' or empty segment, a ';', a backslash or an encoded NUL or '/'; "
                    + "ask for the resource by its plain path");
        }
        chain.proceed();
    }

    static boolean refused(String rawPath) {
        String path = rawPath.toLowerCase(Locale.ROOT);
        return DOT_SEGMENT.matcher(path).find() || path.contains("\\") || path.contains("%5c")
                || path.contains("%00") || path.contains("%2f") || path.contains("//") || path.contains(";");
    }
}
