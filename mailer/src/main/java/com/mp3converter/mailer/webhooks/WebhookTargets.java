package com.mp3converter.mailer.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where webhooks may go. By default only {@code https} URLs whose host resolves to public addresses: nothing
 * private, loopback, link-local (cloud metadata), shared, multicast, reserved or unspecified, and no IPv6 form that
 * wraps such an IPv4 address (IPv4-compatible, -mapped and -translated, NAT64, 6to4; Teredo altogether), checked
 * after DNS resolution and again before every attempt. The addresses checked are the ones connected to: they are
 * pinned for the attempt ({@link PinnedResolver}), so a name that resolves elsewhere a moment later (DNS
 * rebinding) reaches nothing new. An operator's allow-list ({@code webhooks.allow}) admits endpoints, not
 * addresses: each entry is a URL with an address literal and a port ({@code http://127.0.0.1:9000/hooks}), and only
 * URLs of that scheme, address, port and path prefix pass, over plain http too.
 */
public final class WebhookTargets {
    private static final int MAX_URL_CHARS = 2048;
    private final List<Endpoint> allowed;

    /** Thrown with words a user can act on. */
    public static final class RefusedTarget extends Exception {
        RefusedTarget(String message) {
            super(message, null, false, false);
        }
    }

    /** A checked URL and the addresses its host resolved to when checked: the only ones it may be sent to. */
    public record Checked(URI uri, List<InetAddress> addresses) {
    }

    /** An allowed endpoint: scheme, address, port and path prefix. */
    private record Endpoint(String scheme, InetAddress address, int port, String path) {
        boolean admits(String scheme, InetAddress address, int port, String path) {
            return this.scheme.equals(scheme) && this.address.equals(address) && this.port == port
                    && (path.equals(this.path) || path.startsWith(this.path.endsWith("/") ? this.path : this.path + "/")
                    || this.path.equals("/"));
        }
    }

    /** {@code allow}: comma-separated endpoint URLs with an address literal, e.g. {@code http://127.0.0.1:9000}. */
    public WebhookTargets(String allow) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String entry : allow.split(",")) {
            String text = entry.trim();
            if (text.isEmpty()) {
                continue;
            }
            try {
                URI uri = new URI(text);
                String scheme = scheme(uri);
                String host = uri.getHost();
                if (!(scheme.equals("http") || scheme.equals("https")) || host == null
                        || !host.replaceAll("[\\[\\]]", "").matches("[0-9a-fA-F.:]+") || uri.getRawQuery() != null) {
                    throw new IllegalArgumentException();
                }
                endpoints.add(new Endpoint(scheme, InetAddress.getByName(host), port(uri, scheme), path(uri)));
            } catch (URISyntaxException | UnknownHostException | IllegalArgumentException e) {
                throw new IllegalStateException("webhooks.allow: '" + text + "' is not an endpoint URL with an address "
                        + "literal, such as http://127.0.0.1:9000/hooks");
            }
        }
        this.allowed = List.copyOf(endpoints);
    }

    /** The URL, checked: its form, its scheme and every address its host resolves to now. */
    public Checked check(String url) throws RefusedTarget {
        if (url == null || url.isBlank() || url.length() > MAX_URL_CHARS) {
            throw new RefusedTarget("give the endpoint as an https URL of at most " + MAX_URL_CHARS + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new RefusedTarget("'" + clip(url) + "' is not a URL");
        }
        String scheme = scheme(uri);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null || uri.isOpaque()) {
            throw new RefusedTarget("'" + clip(url) + "' is not an https URL with a host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new RefusedTarget("the URL must not carry credentials or a #fragment");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw new RefusedTarget("the host '" + clip(uri.getHost()) + "' does not resolve");
        }
        int port = port(uri, scheme);
        String path = path(uri);
        boolean allAllowed = true;
        for (InetAddress address : addresses) {
            boolean allowedHere = allowed.stream().anyMatch(e -> e.admits(scheme, address, port, path));
            allAllowed &= allowedHere;
            if (!allowedHere && !isPublic(address)) {
                throw new RefusedTarget("'" + clip(uri.getHost()) + "' resolves to a private, loopback or link-local address;"
                        + " webhooks go to public endpoints only");
            }
        }
        if (scheme.equals("http") && !allAllowed) {
            throw new RefusedTarget("webhooks go over https only (the signature does not hide the payload)");
        }
        return new Checked(uri, List.of(addresses));
    }

    static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xFF;
            int second = b[1] & 0xFF;
            return first != 0 && !(first == 100 && second >= 64 && second < 128) // shared (carrier-grade NAT)
                    && !(first == 192 && second == 0 && (b[2] & 0xFF) == 0) // IETF protocol assignments
                    && !(first == 192 && second == 0 && (b[2] & 0xFF) == 2) // documentation
                    && !(first == 198 && (second == 18 || second == 19)) // benchmarking
                    && !(first == 198 && second == 51 && (b[2] & 0xFF) == 100) // documentation
                    && !(first == 203 && second == 0 && (b[2] & 0xFF) == 113) // documentation
                    && first < 240; // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            return isPublic6(b);
        }
        return false;
    }

    /** An IPv6 address: public unless special, and never when it wraps an IPv4 address that is not. */
    private static boolean isPublic6(byte[] b) {
        int first = b[0] & 0xFF;
        int second = b[1] & 0xFF;
        int third = b[2] & 0xFF;
        int fourth = b[3] & 0xFF;
        if ((first & 0xFE) == 0xFC // unique local fc00::/7
                || first == 0x20 && second == 0x01 && third == 0 && fourth == 0 // Teredo 2001::/32: hides its IPv4
                || first == 0x20 && second == 0x01 && third == 0x0D && fourth == 0xB8 // documentation 2001:db8::/32
                || first == 0x01 && second == 0 && zero(b, 2, 8) // discard-only 100::/64
                || first == 0 && second == 0x64 && third == 0xFF && fourth == 0x9B && (b[4] & 0xFF) == 0 && (b[5] & 0xFF) == 1) {
            return false; // local-use NAT64 64:ff9b:1::/48
        }
        if (zero(b, 0, 10) && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF // IPv4-mapped ::ffff:a.b.c.d
                || zero(b, 0, 12) // IPv4-compatible ::a.b.c.d
                || zero(b, 0, 8) && (b[8] & 0xFF) == 0xFF && (b[9] & 0xFF) == 0xFF && zero(b, 10, 12) // translated ::ffff:0:a.b.c.d
                || first == 0 && second == 0x64 && third == 0xFF && fourth == 0x9B && zero(b, 4, 12)) { // NAT64 64:ff9b::/96
            return isPublic4(Arrays.copyOfRange(b, 12, 16));
        }
        if (first == 0x20 && second == 0x02) { // 6to4 2002:a.b.c.d::/48
            return isPublic4(Arrays.copyOfRange(b, 2, 6));
        }
        return true;
    }

    private static boolean isPublic4(byte[] v4) {
        try {
            return isPublic(InetAddress.getByAddress(v4));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String scheme(URI uri) {
        return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    }

    private static int port(URI uri, String scheme) {
        return uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    }

    private static String path(URI uri) {
        return uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    }

    private static String clip(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "…" : text;
    }
}
