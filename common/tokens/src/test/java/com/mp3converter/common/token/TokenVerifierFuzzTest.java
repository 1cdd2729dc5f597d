package com.mp3converter.common.token;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.testing.Fuzzing;

import io.helidon.security.jwt.jwk.Jwk;
import io.helidon.security.jwt.jwk.JwkEC;

import jakarta.json.Json;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Bearer tokens as any client may send them (seeds in TokenVerifierFuzzTestInputs): each is a user's claims or an
 * {@link InvalidTokenException} whose reason is one of a fixed few (it labels a metric: a reason made from the token
 * would be a label per token). Tokens signed with the real key and any header and claims reach every check after the
 * signature, which only refuses them or returns what the claims say.
 */
class TokenVerifierFuzzTest {
    private static final Set<String> REASONS = Set.of("malformed", "algorithm", "unknown_key", "signature", "issuer",
            "audience", "expired", "not_yet_valid");
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final KeyPair PAIR = pair();
    private static final Jwk KEY = JwkEC.create(Json.createObjectBuilder().add("kty", "EC").add("crv", "P-256")
            .add("kid", "k1").add("alg", "ES256").add("use", "sig")
            .add("x", b64(((ECPublicKey) PAIR.getPublic()).getW().getAffineX()))
            .add("y", b64(((ECPublicKey) PAIR.getPublic()).getW().getAffineY()))
            .add("d", b64(((ECPrivateKey) PAIR.getPrivate()).getS())).build());

    /** Each property below, picked by the input (Fuzzing.oneOf). */
    @FuzzTest
    void fuzz(FuzzedDataProvider data) throws Exception {
        Fuzzing.oneOf(data::consumeInt,
                () -> anyTokenIsClaimsOrARefusalWithAKnownReason(data),
                () -> aSignedTokenWithAnyHeaderAndClaimsIsCheckedNotCrashedOn(data));
    }

    private static void anyTokenIsClaimsOrARefusalWithAKnownReason(FuzzedDataProvider data) {
        verify(data.consumeRemainingAsString());
    }

    private static void aSignedTokenWithAnyHeaderAndClaimsIsCheckedNotCrashedOn(FuzzedDataProvider data) throws GeneralSecurityException {
        String header = data.consumeBoolean() ? "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"k1\"}" : data.consumeString(200);
        String claims = data.consumeBoolean() ? "{\"iss\":\"mp3converter-auth\",\"aud\":[\"mp3converter\"],\"sub\":\"u1\","
                + "\"iat\":" + NOW.getEpochSecond() + ",\"exp\":" + (NOW.getEpochSecond() + 60) + ","
                + data.consumeString(300) : data.consumeRemainingAsString();
        String signed = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
        Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
        es256.initSign(PAIR.getPrivate());
        es256.update(signed.getBytes(StandardCharsets.US_ASCII));
        verify(signed + "." + b64(es256.sign()));
    }

    private static void verify(String token) {
        TokenVerifier verifier = new TokenVerifier(kid -> "k1".equals(kid) ? Optional.of(KEY) : Optional.empty(),
                "mp3converter-auth", "mp3converter", Clock.fixed(NOW, ZoneOffset.UTC));
        try {
            TokenClaims claims = verifier.verify(token);
            assertThat(claims.userId() != null && claims.expiresAt().isAfter(NOW.minusSeconds(31)), is(true));
        } catch (InvalidTokenException refused) {
            assertThat(refused.reason(), REASONS.contains(refused.reason()), is(true));
        }
    }

    private static KeyPair pair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] fixed = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, fixed, 32 - copy, copy);
        return b64(fixed);
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
