package com.mp3converter.gateway;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Every answer that does not say how it may be cached says {@code Cache-Control: no-store}: jobs, tokens and problems
 * are one user's and change; a browser or a proxy keeps none of them. Set just before sending, so it covers the
 * problem answers the error handlers write too.
 */
final class NoStoreByDefault implements Filter {
    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        res.beforeSend(() -> {
            if (!res.headers().contains(HeaderNames.CACHE_CONTROL)) {
                res.header(HeaderNames.CACHE_CONTROL, "no-store");
            }
        });
        chain.proceed();
    }
}
