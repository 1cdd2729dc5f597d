package com.mp3converter.mailer.webhooks;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which addresses count as public, what the allow-list admits, and the pins (address literals: no DNS needed). */
class WebhookTargetsTest {
    @Test
    void onlyPublicAddressesArePublic() throws Exception {
        for (String address : List.of("10.1.2.3", "172.16.0.1", "192.168.0.1", "127.0.0.1", "169.254.169.254", "0.0.0.0",
                "100.64.0.1", "192.0.0.8", "198.18.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "224.0.0.1",
                "255.255.255.255", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "::", "::ffff:10.0.0.1",
                // private IPv4 addresses in IPv6 clothes: compatible, translated, NAT64 (well-known and local-use),
                // 6to4; Teredo hides its IPv4 address, documentation and discard-only are nobody's
                "::127.0.0.1", "::a00:1", "::ffff:0:127.0.0.1", "::ffff:0:a00:1", "64:ff9b::a00:1", "64:ff9b::7f00:1",
                "64:ff9b:1::5db8:d70e", "2002:a00:1::", "2002:7f00:1::1", "2002:a9fe:a9fe::", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
                "2001:db8::1", "100::1")) {
            assertThat(address, WebhookTargets.isPublic(InetAddress.getByName(address)), is(false));
        }
        for (String address : List.of("93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1",
                "::5db8:d70e")) {
            assertThat(address, WebhookTargets.isPublic(InetAddress.getByName(address)), is(true));
        }
    }

    @Test
    void theAllowListAdmitsEndpointsNotWholeAddresses() throws Exception {
        WebhookTargets targets = new WebhookTargets("http://127.0.0.1:9000, https://10.20.3.4/hooks");
        assertThat(targets.check("http://127.0.0.1:9000/hook").uri().getPort(), is(9000));
        assertThat(targets.check("https://10.20.3.4/hooks/a").addresses(), is(List.of(InetAddress.getByName("10.20.3.4"))));
        for (String refused : List.of("http://127.0.0.1:9001/hook", "http://127.0.0.1:8025/api/mail/purge",
                "https://127.0.0.1:9000/hook", "https://10.20.3.4/other", "https://10.20.3.4:8443/hooks", "https://10.21.0.1/")) {
            assertThat(refused, assertThrows(WebhookTargets.RefusedTarget.class, () -> targets.check(refused)).getMessage(),
                    containsString("private"));
        }
        assertThat(assertThrows(WebhookTargets.RefusedTarget.class, () -> targets.check("http://93.184.215.14/")).getMessage(),
                containsString("https only"));
        assertThat(assertThrows(WebhookTargets.RefusedTarget.class, () -> targets.check("https://user:pw@93.184.215.14/"))
                .getMessage(), containsString("credentials"));
        for (String wrong : List.of("127.0.0.1/32", "localhost:9000", "http://localhost:9000", "ftp://127.0.0.1:21")) {
            assertThat(assertThrows(IllegalStateException.class, () -> new WebhookTargets(wrong)).getMessage(),
                    containsString("webhooks.allow"));
        }
        assertThat(new WebhookTargets("").check("https://93.184.215.14/hook").uri().getScheme(), is("https"));
    }

    @Test
    void aPinnedHostResolvesToTheCheckedAddressesUntilTheLastAttemptLetsGo() throws Exception {
        assertThrows(java.net.UnknownHostException.class, () -> InetAddress.getAllByName("webhook-unpinned.invalid"));
        String host = "webhook-pinned.invalid"; // no resolver knows it: only the pin answers
        List<InetAddress> checked = List.of(InetAddress.getByName("93.184.215.14"));
        try (PinnedResolver.Held first = PinnedResolver.pin(host, checked)) {
            PinnedResolver.Held second = PinnedResolver.pin(host, checked);
            assertThat(List.of(InetAddress.getAllByName(host)), is(checked));
            second.close();
            assertThat("still held by the first attempt", PinnedResolver.pinned(host), is(true));
        }
        assertThat(PinnedResolver.pinned(host), is(false));
    }
}
