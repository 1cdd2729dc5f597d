package com.mp3converter.benchmarks;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.TestMedia;

/**
 * {@code scale_two_transcoders}: jobs per minute with two transcoder JVMs ÷ with one, for a batch of 20 one-minute
 * clips uploaded back to back to a gateway started here (its own streams and database, the stack's auth). The two
 * sides alternate; the second transcoder is started and ready before its batch, so start-up is not counted.
 */
final class ScaleBench {
    private static final int JOBS = 20;

    private ScaleBench() {
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        Path clip = TestMedia.longVideo(Duration.ofMinutes(1));
        try (Fleet fleet = new Fleet(stack)) {
            URI gateway = fleet.startReady("gateway", Map.of("GATEWAY_QUOTA_MAX_DASH_JOBS_DASH_IN_DASH_FLIGHT", "100"),
                    Fleet.imageJvm(stack.root, "gateway")).uri("/");
            fleet.startReady("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME", "bench-a-" + fleet.id),
                    Fleet.imageJvm(stack.root, "transcoder"));
            String token = Stack.newUser(gateway);
            int[] second = {0};
            Alternating scale = Alternating.run(JOBS + " one-minute clips: one transcoder vs two (seconds per batch)",
                    runs, () -> batch(gateway, token, clip), () -> {
                        ServiceProcess extra = fleet.startReady("transcoder",
                                Map.of("TRANSCODER_INSTANCE_DASH_NAME", "bench-b" + (second[0]++) + "-" + fleet.id),
                                Fleet.imageJvm(stack.root, "transcoder"));
                        Thread.sleep(1000); // the broker hands the new consumer its share of the partitions
                        try {
                            return batch(gateway, token, clip);
                        } finally {
                            extra.terminate(Duration.ofSeconds(30));
                        }
                    });
            // "ours" is one transcoder, the reference two: seconds(one) ÷ seconds(two) is jobs/min(two) ÷ jobs/min(one)
            results.put("scale_two_transcoders", Stats.of(scale.ratios));
        }
    }

    private static double batch(URI gateway, String token, Path clip) throws Exception {
        long start = System.nanoTime();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            jobs.add(Stack.upload(gateway, token, clip));
        }
        for (String job : jobs) {
            Stack.awaitDone(gateway, token, job, Duration.ofMinutes(10));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("       %d jobs in %.1f s: %.1f jobs/min%n", JOBS, seconds, JOBS * 60 / seconds);
        return seconds;
    }
}
