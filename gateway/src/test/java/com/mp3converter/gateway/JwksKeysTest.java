package com.mp3converter.gateway;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Auth's keys as the gateway fetches them: a JWKS server of the JDK's, answering slowly, counting its fetches. */
class JwksKeysTest {
    private static final Duration ANSWER_AFTER = Duration.ofMillis(300);
    private final AtomicInteger fetches = new AtomicInteger();
    private HttpServer auth;
    private JwksKeys keys;

    @BeforeEach
    void startAuth() throws IOException, GeneralSecurityException {
        byte[] jwks = jwks("k1").getBytes(StandardCharsets.UTF_8);
        auth = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        auth.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        auth.createContext("/.well-known/jwks.json", exchange -> {
            fetches.incrementAndGet();
            try {
                Thread.sleep(ANSWER_AFTER);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        auth.start();
        keys = new JwksKeys(URI.create("http://127.0.0.1:" + auth.getAddress().getPort() + "/.well-known/jwks.json"),
                Clock.systemUTC(), Duration.ofSeconds(10), Duration.ofMinutes(10));
    }

    @AfterEach
    void stopAuth() {
        auth.stop(0);
    }

    /** A new replica's first requests: those arriving while the first one fetches get its keys, not a 401. */
    @Test
    void requestsArrivingDuringTheFirstFetchAllFindTheKey() throws Exception {
        List<Future<Boolean>> answers = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            answers.add(clients.submit(() -> keys.key("k1").isPresent()));
            Thread.sleep(ANSWER_AFTER.dividedBy(3)); // the first one's fetch is under way
            for (int i = 0; i < 7; i++) {
                answers.add(clients.submit(() -> keys.key("k1").isPresent()));
            }
        }
        List<Boolean> found = new ArrayList<>();
        for (Future<Boolean> answer : answers) {
            found.add(answer.get());
        }
        assertThat("each request found the key", found, is(Collections.nCopies(8, true)));
        assertThat("auth was asked once", fetches.get(), is(1));
    }

    /** Tokens naming keys auth never had cannot make the gateway ask auth more than once per min-refetch. */
    @Test
    void unknownKeysFetchAtMostOncePerMinRefetch() {
        assertThat(keys.key("k1").isPresent(), is(true));
        for (int i = 0; i < 20; i++) {
            assertThat(keys.key("made-up-" + i).isPresent(), is(false));
        }
        assertThat("only the first fetch: the unknown keys came within min-refetch of it", fetches.get(), is(1));
    }

    private static String jwks(String kid) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey key = (ECPublicKey) generator.generateKeyPair().getPublic();
        return "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"" + kid + "\",\"alg\":\"ES256\",\"use\":\"sig\",\"x\":\""
                + coordinate(key.getW().getAffineX()) + "\",\"y\":\"" + coordinate(key.getW().getAffineY()) + "\"}]}";
    }

    private static String coordinate(BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] fixed = new byte[32];
        int from = Math.max(0, bytes.length - 32);
        System.arraycopy(bytes, from, fixed, 32 - (bytes.length - from), bytes.length - from);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fixed);
    }
}
