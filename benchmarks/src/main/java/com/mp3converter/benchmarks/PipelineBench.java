package com.mp3converter.benchmarks;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.mp3converter.testmedia.TestMedia;

/**
 * {@code pipeline_overhead_s}: what the platform adds around a conversion. A 1-minute clip through the running
 * stack, from the upload's 202 to the client seeing DONE, minus the time the transcoder reports for the job
 * (GridFS read, conversion, GridFS write: its {@code mp3_conversion_seconds}). What is left is the outbox, the
 * broker, the fold and the client's view of it.
 */
final class PipelineBench {
    private static final Pattern CONVERSION_SUM = Pattern.compile("(?m)^mp3_conversion_seconds_sum\\{[^}]*} ([0-9.eE+-]+)");

    private PipelineBench() {
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        Path clip = TestMedia.longVideo(Duration.ofMinutes(1));
        URI metrics = URI.create("http://127.0.0.1:" + System.getenv().getOrDefault("TRANSCODER_PORT", "8082") + "/metrics");
        String token = stack.newUser();
        List<Double> overheads = new ArrayList<>();
        System.out.printf("%s, one job at a time through the running stack%n%-6s %10s %12s %10s%n", clip.getFileName(),
                "run", "202->DONE s", "transcoder s", "overhead s");
        for (int run = 0; run <= runs; run++) {
            double before = conversionSeconds(metrics);
            String jobId = stack.upload(token, clip);
            long accepted = System.nanoTime();
            stack.awaitDone(token, jobId, Duration.ofMinutes(5));
            double total = (System.nanoTime() - accepted) / 1e9;
            double conversion = conversionSeconds(metrics) - before;
            double overhead = total - conversion;
            System.out.printf("%-6s %10.3f %12.3f %10.3f%s%n", run, total, conversion, overhead,
                    run == 0 ? "  (warm-up, not counted)" : "");
            if (run > 0) {
                overheads.add(overhead);
            }
        }
        results.put("pipeline_overhead_s", Stats.of(overheads));
    }

    private static double conversionSeconds(URI metrics) throws Exception {
        String text = Stack.HTTP.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (Matcher m = CONVERSION_SUM.matcher(text); m.find(); ) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }
}
