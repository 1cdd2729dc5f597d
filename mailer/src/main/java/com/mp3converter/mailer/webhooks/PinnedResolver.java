package com.mp3converter.mailer.webhooks;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The mailer's name resolution (registered for the JVM as an {@link InetAddressResolverProvider}): the system's,
 * except for a webhook host while an attempt to it runs, which resolves to exactly the addresses its check let
 * through. The HTTP client resolves the host again when it connects; without the pin a name that changed its
 * answer in between (DNS rebinding) would take the request to an address nobody checked.
 */
public final class PinnedResolver extends InetAddressResolverProvider {
    private static final Map<String, Pin> PINS = new ConcurrentHashMap<>();

    private record Pin(List<InetAddress> addresses, int holders) {
    }

    /** A pin held; closing it lets the host go back to the system's resolution (once no attempt holds it). */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Until the returned handle is closed, {@code host} resolves to {@code addresses} in this JVM. */
    public static Held pin(String host, List<InetAddress> addresses) {
        String key = host.toLowerCase(Locale.ROOT);
        PINS.merge(key, new Pin(List.copyOf(addresses), 1),
                (old, add) -> new Pin(old.addresses().containsAll(add.addresses()) ? old.addresses() : add.addresses(),
                        old.holders() + 1));
        return () -> PINS.computeIfPresent(key, (k, pin) -> pin.holders() == 1 ? null : new Pin(pin.addresses(), pin.holders() - 1));
    }

    static boolean pinned(String host) {
        return PINS.containsKey(host.toLowerCase(Locale.ROOT));
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver system = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                Pin pin = PINS.get(host.toLowerCase(Locale.ROOT));
                return pin == null ? system.lookupByName(host, policy) : pin.addresses().stream();
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return system.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "mp3converter webhook pins";
    }
}
