package com.mp3converter.auth;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Stream;

import com.mp3converter.common.token.KeySource;

import io.helidon.security.jwt.jwk.Jwk;
import io.helidon.security.jwt.jwk.JwkEC;

import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * ES256 signing keys from a directory of {@code <kid>.jwk.json} files (a mounted Secret in Kubernetes).
 * The newest key signs; every key is published in the JWKS so tokens signed before a rotation stay valid.
 * When the directory has no key (development), one is generated and written with mode 600.
 */
public final class SigningKeys implements KeySource {
    private static final Logger LOG = Logger.getLogger(SigningKeys.class.getName());
    private static final String SUFFIX = ".jwk.json";

    private final List<Entry> keys;

    private record Entry(String kid, Instant created, JwkEC jwk, Map<String, Object> publicJwk) {
    }

    private SigningKeys(List<Entry> keys) {
        this.keys = keys;
    }

    public static SigningKeys load(Path dir) {
        try {
            if (!Files.isDirectory(dir) || !hasKeys(dir)) {
                generate(dir);
            }
            List<Entry> entries = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                    entries.add(read(file));
                }
            }
            entries.sort(Comparator.comparing(Entry::created).reversed());
            return new SigningKeys(List.copyOf(entries));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the signing keys in " + dir, e);
        }
    }

    private static boolean hasKeys(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(SUFFIX));
        }
    }

    private static Entry read(Path file) throws IOException {
        JsonObject json;
        try (var reader = Json.createReader(new StringReader(Files.readString(file)))) {
            json = reader.readObject();
        }
        if (!"EC".equals(json.getString("kty", "")) || !"P-256".equals(json.getString("crv", "")) || !json.containsKey("d")) {
            throw new IllegalStateException(file + " is not a private P-256 (ES256) JWK");
        }
        JwkEC jwk = JwkEC.create(json);
        Map<String, Object> publicJwk = new LinkedHashMap<>();
        publicJwk.put("kty", "EC");
        publicJwk.put("crv", "P-256");
        publicJwk.put("x", json.getString("x"));
        publicJwk.put("y", json.getString("y"));
        publicJwk.put("kid", json.getString("kid"));
        publicJwk.put("alg", "ES256");
        publicJwk.put("use", "sig");
        Instant created = json.containsKey("iat")
                ? Instant.ofEpochSecond(json.getJsonNumber("iat").longValue())
                : Files.getLastModifiedTime(file).toInstant();
        return new Entry(json.getString("kid"), created, jwk, publicJwk);
    }

    /** Writes a new P-256 key; used on first start in development and by operators to rotate. */
    public static Path generate(Path dir) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            ECPublicKey pub = (ECPublicKey) pair.getPublic();
            ECPrivateKey priv = (ECPrivateKey) pair.getPrivate();
            Instant now = Instant.now();
            String kid = "mp3-" + now.getEpochSecond() + "-" + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 6);
            String json = Json.createObjectBuilder()
                    .add("kty", "EC").add("crv", "P-256").add("kid", kid).add("alg", "ES256").add("use", "sig")
                    .add("x", b64(pub.getW().getAffineX())).add("y", b64(pub.getW().getAffineY()))
                    .add("d", b64(priv.getS())).add("iat", now.getEpochSecond())
                    .build().toString();
            Files.createDirectories(dir);
            Path file = dir.resolve(kid + SUFFIX);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, json, StandardCharsets.UTF_8);
            LOG.info(() -> "generated signing key " + kid + " in " + dir);
            return file;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate P-256 keys", e);
        }
    }

    private static String b64(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] fixed = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, fixed, 32 - copy, copy);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fixed);
    }

    /** The key that signs new tokens. */
    public JwkEC current() {
        return keys.getFirst().jwk();
    }

    public String currentKid() {
        return keys.getFirst().kid();
    }

    @Override
    public Optional<Jwk> key(String kid) {
        return keys.stream().filter(e -> e.kid().equals(kid)).map(e -> (Jwk) e.jwk()).findFirst();
    }

    /** The JWKS document: public parts of every key. */
    public Map<String, Object> jwks() {
        return Map.of("keys", keys.stream().map(Entry::publicJwk).toList());
    }
}
