package com.mp3converter.benchmarks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.mp3converter.auth.SigningKeys;
import com.mp3converter.auth.TokenIssuer;
import com.mp3converter.auth.User;
import com.mp3converter.common.token.TokenVerifier;

/**
 * {@code token_verify_ratio}: the gateway's full verification of tokens it has not seen (parse, algorithm and key
 * checks, ES256 signature, claims), one thread, against the JDK's own {@code Signature} verifying the same
 * signatures over the same bytes with nothing else: 1 would mean our checks around the signature cost nothing.
 */
final class TokenBench {
    private static final int TOKENS = 2000;

    private TokenBench() {
    }

    static void run(Results results, int runs) throws Exception {
        Path dir = Files.createTempDirectory("bench-keys");
        SigningKeys.generate(dir);
        SigningKeys keys = SigningKeys.load(dir);
        TokenIssuer issuer = new TokenIssuer(keys, "mp3converter-auth", "mp3converter", Duration.ofHours(1),
                Clock.systemUTC());
        List<String> tokens = new ArrayList<>();
        List<byte[]> inputs = new ArrayList<>();
        List<byte[]> signatures = new ArrayList<>();
        for (int i = 0; i < TOKENS; i++) {
            String token = issuer.issue(new User("user-" + i, "u" + i + "@example.com", "", List.of("user"), false,
                    null, null, null, null));
            tokens.add(token);
            int lastDot = token.lastIndexOf('.');
            inputs.add(token.substring(0, lastDot).getBytes(StandardCharsets.US_ASCII));
            signatures.add(Base64.getUrlDecoder().decode(token.substring(lastDot + 1)));
        }
        PublicKey publicKey = keys.current().publicKey();
        System.out.printf("%d fresh ES256 tokens per run, one thread%n", TOKENS);
        Alternating verify = Alternating.run("TokenVerifier.verify vs the JDK's Signature.verify", runs, () -> {
            TokenVerifier verifier = new TokenVerifier(keys, "mp3converter-auth", "mp3converter", Clock.systemUTC());
            return Alternating.time(() -> {
                for (String token : tokens) {
                    try {
                        verifier.verify(token);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
        }, () -> Alternating.time(() -> {
            try {
                for (int i = 0; i < TOKENS; i++) {
                    Signature signature = Signature.getInstance("SHA256withECDSAinP1363Format");
                    signature.initVerify(publicKey);
                    signature.update(inputs.get(i));
                    if (!signature.verify(signatures.get(i))) {
                        throw new IllegalStateException("a signature did not verify");
                    }
                }
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }));
        results.put("token_verify_ratio", Stats.of(verify.speedRatios()));
    }
}
