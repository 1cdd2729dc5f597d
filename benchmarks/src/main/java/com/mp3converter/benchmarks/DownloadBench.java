package com.mp3converter.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

/**
 * {@code download_50k_rps} and {@code download_50k_p99_ms}: a job's MP3 of about 50 KB ({@code GET /jobs/{id}/mp3})
 * downloaded over and over by 8 clients, each on its own kept-alive HTTP/1.1 connection, through the running
 * stack's gateway: requests per second and the 99th percentile latency of each run (after a warm-up run). The
 * clients are four users' (the same MP3 each): one user may download only 4 MP3s at once from a replica
 * ({@code gateway.downloads.max-per-user}), and a client that sends its next request as soon as the last byte of
 * one arrives can find that download's slot not yet given back, so two clients a user stay under the cap.
 */
final class DownloadBench {
    static final int CLIENTS = 8;
    private static final int USERS = 4;
    private static final HttpClient KEEP_ALIVE = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private DownloadBench() {
    }

    /** One run's figures. */
    record Rate(double requestsPerSecond, double p50Ms, double p99Ms) {
    }

    /** A user's finished job. */
    record Owned(String token, String jobId) {
    }

    /** {@link #USERS} users, each with a finished job whose MP3 is the same ~50 KB. */
    record Target(List<Owned> jobs, long bytes) {
        static Target create(Stack stack) throws Exception {
            List<Owned> jobs = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < USERS; i++) {
                String token = stack.newUser();
                // three seconds of audio: about 48 KB of MP3 at the transcoder's default bitrate
                String jobId = stack.upload(token, TestMedia.path(Sample.AVI_MPEG4_MP3));
                bytes = stack.awaitDone(token, jobId, Duration.ofMinutes(2)).path("mp3").path("bytes").asLong();
                jobs.add(new Owned(token, jobId));
            }
            return new Target(List.copyOf(jobs), bytes);
        }
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        Target target = Target.create(stack);
        try {
            run(stack, results, runs, target);
        } finally {
            for (Owned job : target.jobs()) {
                stack.deleteJob(job.token(), job.jobId());
            }
        }
    }

    private static void run(Stack stack, Results results, int runs, Target target) throws Exception {
        System.out.printf("GET /jobs/{id}/mp3 (%d bytes), %d clients on kept-alive connections, 10 s per run%n",
                target.bytes(), CLIENTS);
        List<Double> rates = new ArrayList<>();
        List<Double> p99s = new ArrayList<>();
        for (int run = 0; run <= runs; run++) {
            Rate rate = measure(stack.gateway, target, Duration.ofSeconds(10));
            System.out.printf("%-6s %8.0f req/s, p50 %.1f ms, p99 %.1f ms%s%n", run, rate.requestsPerSecond(), rate.p50Ms(),
                    rate.p99Ms(), run == 0 ? "  (warm-up, not counted)" : "");
            if (run > 0) {
                rates.add(rate.requestsPerSecond());
                p99s.add(rate.p99Ms());
            }
        }
        results.put("download_50k_rps", Stats.of(rates));
        results.put("download_50k_p99_ms", Stats.of(p99s));
    }

    /** {@link #CLIENTS} clients downloading the target's MP3 for {@code duration}. */
    static Rate measure(URI gateway, Target target, Duration duration) throws Exception {
        List<Double> millis = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Owned job = target.jobs().get(c % target.jobs().size());
                HttpRequest request = HttpRequest.newBuilder(gateway.resolve("/jobs/" + job.jobId() + "/mp3"))
                        .header("Authorization", "Bearer " + job.token()).build();
                done.add(clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        long sent = System.nanoTime();
                        HttpResponse<byte[]> mp3 = KEEP_ALIVE.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        millis.add((System.nanoTime() - sent) / 1e6);
                        if (mp3.statusCode() != 200 || mp3.body().length != target.bytes()) {
                            throw new IllegalStateException("GET mp3 answered " + mp3.statusCode() + " with "
                                    + mp3.body().length + " bytes");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Rate(millis.size() / seconds, Stats.percentile(millis, 0.5), Stats.percentile(millis, 0.99));
    }
}
