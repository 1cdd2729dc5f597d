package com.mp3converter.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.TestMedia;

/**
 * {@code scale_two_transcoders}: pods emulated on this machine's two cores, each transcoder pinned to a core of its
 * own ({@code taskset}), so it converts one job at a time as a one-CPU pod does. The same batch, 20 one-minute clips
 * uploaded back to back to a gateway and auth started here (their own streams, with {@link #PARTITIONS} partitions:
 * more than transcoders), with one such transcoder, then two; jobs per minute with two ÷ with one, the sides
 * alternating after a warm-up pair. The clips wait, uploaded, before the transcoders start (a backlog); timed from
 * the moment every transcoder has converted a job to the last job's end. The stand-in, the broker, the gateway and
 * auth are not pinned: they share the two cores with the transcoders (in a cluster they would have their own).
 *
 * <p>{@code scale_two_transcoders_500m}: the same with each transcoder a pod limited to half a CPU (a CPU quota in a
 * cgroup of its own, as Kubernetes enforces a pod's limit), so that the rest of the stack keeps a core's worth.
 */
final class ScaleBench {
    private static final int JOBS = 20;
    static final int PARTITIONS = 4;
    private static final Path CPU_CGROUPS = Path.of("/sys/fs/cgroup/cpu");
    private static final Pattern JOBS_DONE = Pattern.compile("(?m)^mp3_jobs_total\\{outcome=\"done\"[^}]*} ([0-9.eE+-]+)");

    /**
     * How a transcoder pod is emulated: pinned to core {@code i}, or limited to half a CPU and placed by the
     * scheduler, as Kubernetes runs a pod with a CPU limit of 500m.
     */
    private enum Pod {
        WHOLE_CORE, HALF_CORE
    }

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
            // as the image starts it: with the ahead-of-time cache its build trains
            List<String> jvm = new ArrayList<>(Fleet.serviceJvm("transcoder"));
            jvm.add("-XX:AOTCache=" + fleet.aotCache("transcoder"));
            int[] started = {0};
            Alternating scale = Alternating.run(JOBS + " one-minute clips, " + PARTITIONS + " partitions: one transcoder "
                    + "on one core vs two, each on its own (seconds per job once every pod converts)", runs,
                    () -> batch(fleet, jvm, gateway, token, clip, 1, Pod.WHOLE_CORE, started),
                    () -> batch(fleet, jvm, gateway, token, clip, 2, Pod.WHOLE_CORE, started));
            // "ours" is one transcoder, the reference two: seconds(one) ÷ seconds(two) is jobs/min(two) ÷ jobs/min(one)
            results.put("scale_two_transcoders", Stats.of(scale.ratios));
            Alternating halfCores = Alternating.run(JOBS + " one-minute clips, " + PARTITIONS + " partitions: one "
                    + "transcoder limited to half a CPU vs two, so the rest of the stack keeps a core's worth "
                    + "(seconds per job)", runs, () -> batch(fleet, jvm, gateway, token, clip, 1, Pod.HALF_CORE, started),
                    () -> batch(fleet, jvm, gateway, token, clip, 2, Pod.HALF_CORE, started));
            results.put("scale_two_transcoders_500m", Stats.of(halfCores.ratios));
        }
    }

    /**
     * Seconds per job with {@code transcoders} pods: the clips are uploaded first (a backlog, so the uploads do not
     * compete with the conversions for the cores), then the transcoders start; timed from the moment every one of
     * them has converted a job (a pod's start-up and first claim are not throughput) to the last job's end, a job
     * converting at that moment counted by the share of its time after it. Prints the CPU the transcoders and the
     * rest of the machine spent meanwhile.
     */
    private static double batch(Fleet fleet, List<String> imageJvm, URI gateway, String token, Path clip,
            int transcoders, Pod pod, int[] started) throws Exception {
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            jobs.add(Stack.upload(gateway, token, clip));
        }
        List<ServiceProcess> pods = new ArrayList<>();
        List<Path> cgroups = new ArrayList<>();
        try {
            // one CPU as the JVM sees it (its compiler threads, one conversion at a time), as in a one-CPU pod,
            // whether or not the pin lands before the JVM counts its CPUs
            List<String> jvm = new ArrayList<>(imageJvm);
            jvm.add("-XX:ActiveProcessorCount=1");
            for (int i = 0; i < transcoders; i++) {
                String name = "bench-" + (started[0]++) + "-" + fleet.id;
                ServiceProcess transcoder = fleet.start("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME", name,
                        "TRANSCODER_CONCURRENCY", "1"), jvm);
                pods.add(transcoder);
                if (pod == Pod.WHOLE_CORE) {
                    pin(transcoder, i);
                } else {
                    cgroups.add(limit(transcoder, "mp3converter-" + name, 500));
                }
            }
            Instant allRunning = everyPodConverted(pods);
            List<JsonNode> done = new ArrayList<>();
            CpuSampler.Window cpu;
            try (CpuSampler sampler = new CpuSampler(pods.stream().map(each -> each.process().pid()).toList())) {
                for (String job : jobs) {
                    done.add(Stack.awaitDone(gateway, token, job, Duration.ofMinutes(10)));
                }
                cpu = sampler.between(allRunning, latest(done, "finishedAt"));
            }
            Instant firstStart = done.stream().map(job -> instant(job, "startedAt")).min(Instant::compareTo).orElseThrow();
            Instant lastEnd = latest(done, "finishedAt");
            double running = seconds(allRunning, lastEnd);
            double work = done.stream().mapToDouble(job -> shareAfter(job, allRunning)).sum();
            System.out.printf("       %d transcoder(s): %d jobs (%d attempts) in %.1f s from the first start; %.1f jobs' "
                    + "work in the %.1f s after every pod had converted one (%.1f s after the first start), %.1f jobs/min;"
                    + " CPU s then: transcoders %.1f, the rest %.1f (the two cores %.0f %% busy); load %s%n",
                    transcoders, JOBS, done.stream().mapToInt(job -> job.get("attempts").asInt()).sum(),
                    seconds(firstStart, lastEnd), work, running, seconds(firstStart, allRunning), work * 60 / running,
                    cpu.processes(), cpu.rest(), 100 * cpu.machine() / (2 * running), Stack.load());
            return running / work;
        } finally {
            for (ServiceProcess transcoder : pods) {
                transcoder.terminate(Duration.ofSeconds(30));
            }
            for (Path cgroup : cgroups) {
                Files.delete(cgroup);
            }
        }
    }

    /**
     * The process and the threads it starts from now on limited to {@code millicores} of CPU, in a cgroup of its own
     * (the v1 cpu controller's quota per 100 ms period: what a pod's CPU limit is); the cgroup, to remove once the
     * process has ended.
     */
    private static Path limit(ServiceProcess process, String name, int millicores) throws Exception {
        if (!Files.isWritable(CPU_CGROUPS)) {
            throw new IllegalStateException("limiting a transcoder to half a CPU needs the cgroup v1 cpu controller at "
                    + CPU_CGROUPS + ", writable (root)");
        }
        Path cgroup = Files.createDirectory(CPU_CGROUPS.resolve(name));
        Files.writeString(cgroup.resolve("cpu.cfs_period_us"), "100000");
        Files.writeString(cgroup.resolve("cpu.cfs_quota_us"), Integer.toString(millicores * 100));
        Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(process.process().pid()));
        return cgroup;
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

    /** When each of the pods has converted a job, by its metrics (polled every 100 ms). */
    private static Instant everyPodConverted(List<ServiceProcess> pods) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        List<ServiceProcess> waiting = new ArrayList<>(pods);
        while (!waiting.isEmpty()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(waiting.size() + " transcoder(s) converted nothing in 5 minutes");
            }
            waiting.removeIf(ScaleBench::convertedOne);
            Thread.sleep(100);
        }
        return Instant.now();
    }

    private static boolean convertedOne(ServiceProcess transcoder) {
        try {
            Matcher done = JOBS_DONE.matcher(Stack.HTTP.send(HttpRequest.newBuilder(transcoder.uri("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            return done.find() && Double.parseDouble(done.group(1)) >= 1;
        } catch (IOException notYetListening) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The share of the job's conversion time after {@code from}: 1 when it started after it, 0 when it ended before. */
    private static double shareAfter(JsonNode job, Instant from) {
        Instant start = instant(job, "startedAt");
        Instant end = instant(job, "finishedAt");
        return Math.clamp(seconds(max(from, start), end) / seconds(start, end), 0, 1);
    }

    private static Instant latest(List<JsonNode> jobs, String field) {
        return jobs.stream().map(job -> instant(job, field)).max(Instant::compareTo).orElseThrow();
    }

    private static Instant instant(JsonNode job, String field) {
        return Instant.parse(job.get(field).asText());
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
