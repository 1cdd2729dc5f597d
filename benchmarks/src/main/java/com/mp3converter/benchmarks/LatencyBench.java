package com.mp3converter.benchmarks;

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
 * {@code keepalive_p50_ms}: the latency of a small authenticated {@code GET /jobs/{id}} on reused connections
 * (as Envoy and any HTTP client keep them), 8 clients at once against the running stack's gateway.
 */
final class LatencyBench {
    private static final int CLIENTS = 8;
    private static final int REQUESTS_PER_CLIENT = 400;

    private LatencyBench() {
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        String token = stack.newUser();
        String jobId = stack.upload(token, TestMedia.path(Sample.WAV_22K));
        stack.awaitDone(token, jobId, Duration.ofMinutes(2));
        HttpRequest request = HttpRequest.newBuilder(stack.gateway.resolve("/jobs/" + jobId))
                .header("Authorization", "Bearer " + token).build();
        List<Double> medians = new ArrayList<>();
        System.out.printf("GET /jobs/{id}, %d clients on kept-alive connections, %d requests each%n", CLIENTS,
                REQUESTS_PER_CLIENT);
        for (int run = 0; run <= runs; run++) {
            List<Double> millis = Collections.synchronizedList(new ArrayList<>());
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    done.add(clients.submit(() -> {
                        for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                            long start = System.nanoTime();
                            HttpResponse<byte[]> job = Stack.HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
                            millis.add((System.nanoTime() - start) / 1e6);
                            if (job.statusCode() != 200) {
                                throw new IllegalStateException("GET /jobs/{id} answered " + job.statusCode());
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
            Stats latency = Stats.of(millis);
            double p99 = Stats.percentile(millis, 0.99);
            System.out.printf("%-6s p50 %.2f ms, p99 %.2f ms, max %.2f ms%s%n", run, latency.median(), p99, latency.max(),
                    run == 0 ? "  (warm-up, not counted)" : "");
            if (run > 0) {
                medians.add(latency.median());
            }
        }
        results.put("keepalive_p50_ms", Stats.of(medians));
    }
}
