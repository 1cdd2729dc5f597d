package com.mp3converter.benchmarks;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.TestMedia;

/**
 * {@code scale_two_transcoders}: pods emulated on this machine's two cores, each transcoder pinned to a core of its
 * own ({@code taskset}), so it converts one job at a time as a one-CPU pod does (transcoder.concurrency follows the
 * processors it may use). The same batch, 20 one-minute clips uploaded back to back to a gateway and auth started here
 * (their own streams, with {@link #PARTITIONS} partitions: more than transcoders), with one such transcoder, then two;
 * jobs per minute with two ÷ with one, the sides alternating after a warm-up pair. The clips wait, uploaded, before
 * the transcoders start (a backlog); timed from the first job's start to the last one's end. The stand-in and the
 * broker are not pinned: they share the two cores with the transcoders (in a cluster they would have their own).
 */
final class ScaleBench {
    private static final int JOBS = 20;
    static final int PARTITIONS = 4;

    private ScaleBench() {
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        Path clip = TestMedia.longVideo(Duration.ofMinutes(1));
        try (Fleet fleet = new Fleet(stack)) {
            fleet.env.put("STREAMS_VIDEOS_PARTITIONS", Integer.toString(PARTITIONS));
            fleet.env.put("AUTH_URL", fleet.startReady("auth", Map.of()).uri("").toString());
            URI gateway = fleet.startReady("gateway", Map.of("GATEWAY_QUOTA_MAX_DASH_JOBS_DASH_IN_DASH_FLIGHT", "100"))
                    .uri("/");
            String token = Stack.newUser(gateway);
            int[] started = {0};
            Alternating scale = Alternating.run(JOBS + " one-minute clips, " + PARTITIONS + " partitions: one transcoder "
                    + "on one core vs two, each on its own (seconds per batch)", runs,
                    () -> batch(fleet, gateway, token, clip, 1, started), () -> batch(fleet, gateway, token, clip, 2, started));
            // "ours" is one transcoder, the reference two: seconds(one) ÷ seconds(two) is jobs/min(two) ÷ jobs/min(one)
            results.put("scale_two_transcoders", Stats.of(scale.ratios));
        }
    }

    /**
     * The batch's seconds with {@code transcoders} transcoders, transcoder {@code i} pinned to core {@code i}: the
     * clips are uploaded first (a backlog, so the uploads do not compete with the conversions for the cores), then the
     * transcoders start; timed from the first job's start to the last one's end.
     */
    private static double batch(Fleet fleet, URI gateway, String token, Path clip, int transcoders, int[] started)
            throws Exception {
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            jobs.add(Stack.upload(gateway, token, clip));
        }
        List<ServiceProcess> pods = new ArrayList<>();
        try {
            for (int core = 0; core < transcoders; core++) {
                // one conversion at a time, as on a one-CPU pod, whether or not the pin lands before the JVM counts its CPUs
                ServiceProcess transcoder = fleet.start("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME",
                        "bench-" + (started[0]++) + "-" + fleet.id, "TRANSCODER_CONCURRENCY", "1"), Fleet.serviceJvm("transcoder"));
                pin(transcoder, core);
                pods.add(transcoder);
            }
            Instant firstStart = Instant.MAX;
            Instant lastEnd = Instant.MIN;
            int attempts = 0;
            for (String job : jobs) {
                JsonNode done = Stack.awaitDone(gateway, token, job, Duration.ofMinutes(10));
                firstStart = min(firstStart, Instant.parse(done.get("startedAt").asText()));
                lastEnd = max(lastEnd, Instant.parse(done.get("finishedAt").asText()));
                attempts += done.get("attempts").asInt();
            }
            double seconds = Duration.between(firstStart, lastEnd).toMillis() / 1000.0;
            System.out.printf("       %d transcoder(s): %d jobs (%d attempts) converted in %.1f s, %.1f jobs/min, load %s%n",
                    transcoders, JOBS, attempts, seconds, JOBS * 60 / seconds, Stack.load());
            return seconds;
        } finally {
            for (ServiceProcess pod : pods) {
                pod.terminate(Duration.ofSeconds(30));
            }
        }
    }

    /**
     * Every thread of the process, and those it starts from now on, on this core only. A starting JVM's threads come
     * and go: taskset fails when one ends between its listing and its pinning, and is run again.
     */
    static void pin(ServiceProcess process, int core) throws Exception {
        String output = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            Process taskset = new ProcessBuilder("taskset", "-a", "-p", "-c", Integer.toString(core),
                    Long.toString(process.process().pid())).redirectErrorStream(true).start();
            output = new String(taskset.getInputStream().readAllBytes());
            if (taskset.waitFor() == 0) {
                return;
            }
        }
        throw new IllegalStateException("taskset failed: " + output);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
