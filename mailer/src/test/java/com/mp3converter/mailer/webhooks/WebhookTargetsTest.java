package com.mp3converter.mailer.webhooks;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which addresses count as public, and what the allow-list admits (address literals: no DNS needed). */
class WebhookTargetsTest {
    @Test
    void onlyPublicAddressesArePublic() throws Exception {
        for (String address : List.of("10.1.2.3", "172.16.0.1", "192.168.0.1", "127.0.0.1", "169.254.169.254", "0.0.0.0",
                "100.64.0.1", "192.0.0.8", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1",
                "fd12:3456::1", "::", "::ffff:10.0.0.1")) {
            assertThat(address, WebhookTargets.isPublic(InetAddress.getByName(address)), is(false));
        }
        for (String address : List.of("93.184.215.14", "8.8.8.8", "2606:4700::1111")) {
            assertThat(address, WebhookTargets.isPublic(InetAddress.getByName(address)), is(true));
        }
    }

    @Test
    void theAllowListAdmitsItsRangesOverHttpToo() throws Exception {
        WebhookTargets targets = new WebhookTargets("127.0.0.1/32, 10.20.0.0/16");
        assertThat(targets.check("http://127.0.0.1:9000/hook").getPort(), is(9000));
        assertThat(targets.check("https://10.20.3.4/hook").getHost(), is("10.20.3.4"));
        assertThat(assertThrows(WebhookTargets.RefusedTarget.class, () -> targets.check("https://10.21.0.1/")).getMessage(),
                containsString("private"));
        assertThat(assertThrows(WebhookTargets.RefusedTarget.class, () -> targets.check("http://93.184.215.14/")).getMessage(),
                containsString("https only"));
        assertThat(assertThrows(WebhookTargets.RefusedTarget.class, () -> targets.check("https://user:pw@93.184.215.14/"))
                .getMessage(), containsString("credentials"));
        assertThat(assertThrows(IllegalStateException.class, () -> new WebhookTargets("localhost/8")).getMessage(),
                containsString("webhooks.allow"));
        assertThat(new WebhookTargets("").check("https://93.184.215.14/hook").getScheme(), is("https"));
    }
}
