package com.mp3converter.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.mp3converter.auth.SigningKeys;
import com.mp3converter.auth.TokenIssuer;
import com.mp3converter.auth.User;
import com.mp3converter.common.token.TokenVerifier;

/**
 * Login throughput against the running auth service (Argon2id per login, by design) and token verification
 * throughput in process: a full ES256 verification per token, and a repeat of a verified token (the cache the
 * gateway hits on every request of a busy client). Usage: AuthBench [auth url] [seconds=10] [threads=4]
 */
public final class AuthBench {
    private AuthBench() {
    }

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8081";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        verification(seconds);
        login(url, seconds, threads);
    }

    private static void verification(int seconds) throws Exception {
        Path keys = Files.createTempDirectory("bench-keys");
        SigningKeys.generate(keys);
        SigningKeys signing = SigningKeys.load(keys);
        TokenIssuer issuer = new TokenIssuer(signing, "mp3converter-auth", "mp3converter", Duration.ofHours(1), Clock.systemUTC());
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            tokens.add(issuer.issue(new User("user-" + i, "u" + i + "@example.com", "", List.of("user"), false, null, null, null)));
        }
        long full = 0;
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        while (System.nanoTime() < deadline) {
            new TokenVerifier(signing, "mp3converter-auth", "mp3converter", Clock.systemUTC()).verify(tokens.get((int) (full % tokens.size())));
            full++;
        }
        double fullRate = full / ((System.nanoTime() - start) / 1e9);
        TokenVerifier cached = new TokenVerifier(signing, "mp3converter-auth", "mp3converter", Clock.systemUTC());
        for (String t : tokens) {
            cached.verify(t);
        }
        long hits = 0;
        deadline = System.nanoTime() + seconds * 1_000_000_000L;
        start = System.nanoTime();
        while (System.nanoTime() < deadline) {
            cached.verify(tokens.get((int) (hits % tokens.size())));
            hits++;
        }
        double cachedRate = hits / ((System.nanoTime() - start) / 1e9);
        System.out.printf("token verification, one thread: full ES256 %.0f/s, already verified %.0f/s (%.0fx)%n",
                fullRate, cachedRate, cachedRate / fullRate);
    }

    private static void login(String url, int seconds, int threads) throws Exception {
        Path env = Path.of(".local/env");
        String email = null;
        for (String line : Files.readAllLines(env)) {
            if (line.startsWith("AUTH_ADMIN_EMAIL=")) {
                email = line.substring(17);
            }
        }
        String password = Files.readString(Path.of(".local/secrets/admin-password")).strip();
        String basic = "Basic " + Base64.getEncoder().encodeToString((email + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/login")).header("Authorization", basic)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(pool.submit(() -> {
                while (System.nanoTime() < deadline) {
                    try {
                        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                        (r.statusCode() == 200 ? ok : failed).incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("login (HTTP Basic -> Argon2id -> ES256 token), %d client threads: %.1f/s, %d ok, %d failed%n",
                threads, ok.get() / elapsed, ok.get(), failed.get());
    }
}
