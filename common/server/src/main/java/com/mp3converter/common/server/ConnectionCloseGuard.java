package com.mp3converter.common.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.logging.Logger;

import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Closes the connection after a request that asked for {@code Connection: close}. Helidon 4.5.0 does not: it skips
 * the unread rest of such a request's body and reads on, so a body the handler did not read (a refused upload, a
 * health check with a body) is parsed as further requests — request smuggling past a proxy that saw one request
 * (helidon issue 12324, fixed upstream after 4.5.3). Here the unread body is drained (as Helidon does for
 * keep-alive requests), and once the answer is sent the connection is closed.
 */
final class ConnectionCloseGuard implements Filter {
    private static final Logger LOG = Logger.getLogger(ConnectionCloseGuard.class.getName());

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!req.headers().containsToken(HeaderValues.CONNECTION_CLOSE)) {
            chain.proceed();
            return;
        }
        try {
            chain.proceed();
        } finally {
            drain(req);
        }
        if (res.isSent()) {
            throw new CloseConnectionException("the client asked for Connection: close");
        }
    }

    /** Reads what the handler left of the body (within the stall limit), so none of it can be taken for a request. */
    private static void drain(RoutingRequest req) {
        if (req.content().consumed()) {
            return;
        }
        try (InputStream rest = StallGuard.reading(req.content().inputStream())) {
            rest.transferTo(OutputStream.nullOutputStream());
        } catch (IllegalStateException alreadyOpened) {
            req.content().consume(); // the handler took the stream and left it unfinished
        } catch (IOException | RuntimeException e) {
            LOG.fine(() -> "the unread body of a Connection: close request could not be drained: " + e);
            throw new CloseConnectionException("the unread body of a Connection: close request could not be drained", e);
        }
    }
}
