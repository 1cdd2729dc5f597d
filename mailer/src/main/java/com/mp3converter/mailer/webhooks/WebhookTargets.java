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
 * private, loopback, link-local (cloud metadata), shared, multicast or unspecified, checked after DNS resolution and
 * again before every attempt (a name may resolve elsewhere later). An operator's allow-list of address ranges
 * ({@code webhooks.allow}, e.g. {@code 127.0.0.1/32}) admits such targets, over plain http too.
 */
public final class WebhookTargets {
    private static final int MAX_URL_CHARS = 2048;
    private final List<Range> allowed;

    /** Thrown with words a user can act on. */
    public static final class RefusedTarget extends Exception {
        RefusedTarget(String message) {
            super(message, null, false, false);
        }
    }

    private record Range(byte[] network, int prefix) {
        boolean contains(InetAddress address) {
            byte[] bytes = address.getAddress();
            if (bytes.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** {@code allow}: comma-separated addresses or CIDR ranges (empty: none). */
    public WebhookTargets(String allow) {
        List<Range> ranges = new ArrayList<>();
        for (String entry : allow.split(",")) {
            String text = entry.trim();
            if (text.isEmpty()) {
                continue;
            }
            String[] parts = text.split("/", 2);
            try {
                byte[] network = InetAddress.getByName(parts[0]).getAddress();
                int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : network.length * 8;
                if (prefix < 0 || prefix > network.length * 8 || !parts[0].matches("[0-9a-fA-F.:]+")) {
                    throw new IllegalArgumentException();
                }
                ranges.add(new Range(network, prefix));
            } catch (UnknownHostException | IllegalArgumentException e) {
                throw new IllegalStateException("webhooks.allow: '" + text + "' is not an address or CIDR range");
            }
        }
        this.allowed = List.copyOf(ranges);
    }

    /** The URL, checked: its form, its scheme and every address its host resolves to now. */
    public URI check(String url) throws RefusedTarget {
        if (url == null || url.isBlank() || url.length() > MAX_URL_CHARS) {
            throw new RefusedTarget("give the endpoint as an https URL of at most " + MAX_URL_CHARS + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new RefusedTarget("'" + clip(url) + "' is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
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
        boolean allAllowed = true;
        for (InetAddress address : addresses) {
            boolean allowedHere = allowed.stream().anyMatch(r -> r.contains(address));
            allAllowed &= allowedHere;
            if (!allowedHere && !isPublic(address)) {
                throw new RefusedTarget("'" + clip(uri.getHost()) + "' resolves to a private, loopback or link-local address;"
                        + " webhooks go to public endpoints only");
            }
        }
        if (scheme.equals("http") && !allAllowed) {
            throw new RefusedTarget("webhooks go over https only (the signature does not hide the payload)");
        }
        return uri;
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
                    && !(first == 198 && (second == 18 || second == 19)) // benchmarking
                    && first < 240; // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xFE) == 0xFC) {
                return false; // unique local fc00::/7
            }
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
                try {
                    return isPublic(InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String clip(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "…" : text;
    }
}
