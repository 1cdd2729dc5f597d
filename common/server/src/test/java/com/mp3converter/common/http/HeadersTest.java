package com.mp3converter.common.http;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class HeadersTest {
    private static final String PEER = "10.0.0.2";

    @Test
    void withNoTrustedProxyTheClientCannotChooseItsAddress() {
        assertThat(Headers.clientAddress(List.of("203.0.113.9"), PEER, 0), is(PEER));
    }

    @Test
    void theEntryTheOutermostTrustedProxyWroteCountsNotTheOnesTheClientSent() {
        // the client sent "1.1.1.1, 2.2.2.2"; the ingress appended the address it saw
        assertThat(Headers.clientAddress(List.of("1.1.1.1, 2.2.2.2, 198.51.100.7"), PEER, 1), is("198.51.100.7"));
        assertThat(Headers.clientAddress(List.of("1.1.1.1", "198.51.100.7, 10.1.1.1"), PEER, 2), is("198.51.100.7"));
    }

    @Test
    void fewerEntriesThanTrustedProxiesFallsBackToThePeer() {
        assertThat(Headers.clientAddress(List.of(), PEER, 1), is(PEER));
        assertThat(Headers.clientAddress(List.of(" , "), PEER, 1), is(PEER));
    }
}
