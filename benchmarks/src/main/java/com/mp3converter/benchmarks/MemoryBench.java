package com.mp3converter.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

/**
 * The four services' memory, each started as the image and the local stack run it (jvm/common.options and its own),
 * beside the running stack's servers (#29's targets; the tutorial's design measured 378 MB for the batch and
 * 133 MB for the upload on the same machine):
 * <ul>
 * <li>{@code idle_rss_mb.<service>}: resident memory once all four handled one job and sit idle (≤ 150 each);</li>
 * <li>{@code batch_peak_rss_mb}: the four services' peak resident memory (VmHWM, reset before) summed, while a
 * batch of 10 one-minute clips is uploaded back to back, converted and mailed (≤ 570);</li>
 * <li>{@code upload_peak_rss_mb}: the gateway's peak while it receives a 216 MB upload (≤ 200);</li>
 * <li>{@code idle_after_use_rss_mb.<service>}: resident memory {@link #SETTLE} after both, nothing running: what a
 * replica keeps once a burst of work is over (≤ 150 each, as idle).</li>
 * </ul>
 * Each run is a fresh fleet; the first is a warm-up, and the two scenarios alternate which goes first.
 */
final class MemoryBench {
    static final List<String> SERVICES = List.of("auth", "gateway", "transcoder", "mailer");
    private static final int BATCH = 10;
    /** How long a service sits with nothing to do before its idle memory is read. */
    static final Duration SETTLE = Duration.ofSeconds(30);

    private MemoryBench() {
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        Path clip = TestMedia.longVideo(Duration.ofMinutes(1));
        Path upload = TestMedia.longWav(Duration.ofSeconds(1226)); // 216 MB
        Map<String, List<Double>> idle = new LinkedHashMap<>();
        Map<String, List<Double>> idleAfterUse = new LinkedHashMap<>();
        List<Double> batch = new ArrayList<>();
        List<Double> uploads = new ArrayList<>();
        System.out.printf("JVM options: %s%n%-6s %-22s %10s %10s   %s%n", optionsOf(), "run", "idle MiB (a g t m)",
                "batch MiB", "upload MiB", "idle after use MiB (a g t m)");
        for (int run = 0; run <= runs; run++) {
            try (Fleet fleet = new Fleet(stack)) {
                Map<String, ServiceProcess> services = start(stack, fleet);
                URI gateway = services.get("gateway").uri("/");
                String token = Stack.newUser(gateway);
                Stack.awaitDone(gateway, token, Stack.upload(gateway, token, TestMedia.path(Sample.MP4_H264_AAC)),
                        Duration.ofMinutes(2));
                Thread.sleep(3000); // the mail goes out and everything settles
                Map<String, Double> idleNow = rss(services);
                double batchPeak = 0;
                double uploadPeak = 0;
                for (int scenario = 0; scenario < 2; scenario++) {
                    if ((scenario + run) % 2 == 0) {
                        batchPeak = batch(services, gateway, token, clip);
                    } else {
                        uploadPeak = upload(services.get("gateway"), gateway, token, upload);
                    }
                }
                Thread.sleep(SETTLE);
                Map<String, Double> afterUse = rss(services);
                System.out.printf("%-6s %-22s %10.0f %10.0f   %s%s%n", run, rounded(idleNow), batchPeak, uploadPeak,
                        rounded(afterUse), run == 0 ? "  (warm-up, not counted)" : "");
                if (run > 0) {
                    idleNow.forEach((service, mib) -> idle.computeIfAbsent(service, s -> new ArrayList<>()).add(mib));
                    afterUse.forEach((service, mib) -> idleAfterUse.computeIfAbsent(service, s -> new ArrayList<>()).add(mib));
                    batch.add(batchPeak);
                    uploads.add(uploadPeak);
                }
            }
        }
        results.put("idle_rss_mb", perService(idle));
        results.put("batch_peak_rss_mb", Stats.of(batch));
        results.put("upload_peak_rss_mb", Stats.of(uploads));
        results.put("idle_after_use_rss_mb", perService(idleAfterUse));
    }

    private static Map<String, Object> perService(Map<String, List<Double>> values) {
        Map<String, Stats> stats = new LinkedHashMap<>();
        values.forEach((service, mib) -> stats.put(service, Stats.of(mib)));
        return Results.perService(stats);
    }

    private static Map<String, Double> rss(Map<String, ServiceProcess> services) throws IOException {
        Map<String, Double> rss = new LinkedHashMap<>();
        for (String service : SERVICES) {
            rss.put(service, Fleet.rssMib(services.get(service).process().pid(), "VmRSS"));
        }
        return rss;
    }

    private static List<String> rounded(Map<String, Double> mib) {
        return mib.values().stream().map(v -> String.format("%.0f", v)).toList();
    }

    private static Map<String, ServiceProcess> start(Stack stack, Fleet fleet) throws Exception {
        Map<String, ServiceProcess> started = new LinkedHashMap<>();
        for (String service : SERVICES) {
            Map<String, String> extra = new LinkedHashMap<>();
            if (!service.equals("auth")) {
                extra.put("AUTH_URL", started.get("auth").uri("").toString().replaceAll("/$", ""));
            }
            extra.put("TRANSCODER_INSTANCE_DASH_NAME", "bench-transcoder-" + fleet.id);
            started.put(service, fleet.startReady(service, extra));
        }
        return started;
    }

    /** The batch's summed peak: every service's high-water mark reset, ten clips uploaded, all done. */
    private static double batch(Map<String, ServiceProcess> services, URI gateway, String token, Path clip)
            throws Exception {
        for (ServiceProcess service : services.values()) {
            resetPeak(service);
        }
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            jobs.add(Stack.upload(gateway, token, clip));
        }
        for (String job : jobs) {
            Stack.awaitDone(gateway, token, job, Duration.ofMinutes(10));
        }
        Thread.sleep(2000); // the mails
        Map<String, Long> peaks = new LinkedHashMap<>();
        for (Map.Entry<String, ServiceProcess> service : services.entrySet()) {
            peaks.put(service.getKey(), Math.round(Fleet.rssMib(service.getValue().process().pid(), "VmHWM")));
        }
        System.out.printf("       batch peak per service (MiB): %s%n", peaks);
        return peaks.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The gateway's peak while it receives the file (its conversion is waited for, so the next scenario starts idle). */
    private static double upload(ServiceProcess gatewayProcess, URI gateway, String token, Path file) throws Exception {
        resetPeak(gatewayProcess);
        String job = Stack.upload(gateway, token, file);
        double peak = Fleet.rssMib(gatewayProcess.process().pid(), "VmHWM");
        Stack.awaitDone(gateway, token, job, Duration.ofMinutes(10));
        return peak;
    }

    /** Sets the process's VmHWM back to its VmRSS now (Linux: clear_refs 5). */
    private static void resetPeak(ServiceProcess service) throws IOException {
        Files.writeString(Path.of("/proc/" + service.process().pid() + "/clear_refs"), "5");
    }

    private static String optionsOf() throws IOException {
        Map<String, List<String>> all = new LinkedHashMap<>();
        for (String service : SERVICES) {
            all.put(service, Fleet.serviceJvm(service));
        }
        return all.toString();
    }
}
