package com.mp3converter.common.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/** Request headers read the strict way: one value where one makes sense, forwarded addresses only from trusted hops. */
public final class Headers {
    /**
     * The user the gateway verified, on the requests it passes to a service behind it (the mailer's webhooks); the
     * gateway never passes on a client's own.
     */
    public static final String VERIFIED_USER = "X-Mp3converter-User";

    private Headers() {
    }

    /** The header's value; a 400 when it is sent more than once (which of two credentials would count?). */
    public static Optional<String> single(ServerRequest req, HeaderName name) {
        List<String> values = req.headers().all(name, List::of);
        if (values.size() > 1) {
            throw Problems.badRequest("send the " + name.defaultCase() + " header once");
        }
        return values.stream().findFirst();
    }

    /**
     * The client's address: with {@code trustedProxies} = N, the Nth entry from the right of X-Forwarded-For (each
     * trusted proxy in front appended one: in the mesh, the ingress gateway); with 0, or when fewer entries came
     * than trusted proxies, the connection's peer. Entries a client wrote itself are left of those and never used.
     */
    public static String clientAddress(ServerRequest req, int trustedProxies) {
        return clientAddress(req.headers().all(HeaderNames.X_FORWARDED_FOR, List::of), req.remotePeer().host(),
                trustedProxies);
    }

    static String clientAddress(List<String> forwardedFor, String peer, int trustedProxies) {
        if (trustedProxies > 0) {
            List<String> entries = new ArrayList<>();
            for (String value : forwardedFor) {
                for (String entry : value.split(",")) {
                    if (!entry.isBlank()) {
                        entries.add(entry.trim());
                    }
                }
            }
            if (entries.size() >= trustedProxies) {
                return entries.get(entries.size() - trustedProxies);
            }
        }
        return peer;
    }
}
