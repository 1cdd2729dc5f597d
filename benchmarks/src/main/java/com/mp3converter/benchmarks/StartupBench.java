package com.mp3converter.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mp3converter.common.testing.ServiceProcess;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

/**
 * Each service started as its image runs it (the Dockerfile's JVM options and its ahead-of-time cache from the same
 * training run the image build makes), with the pod's memory limit from the k8s manifests, beside the running
 * stack's servers:
 * <ul>
 * <li>{@code ready_s.<service>}: from starting the JVM to {@code /health/ready} answering 200, one service at a time;</li>
 * <li>{@code idle_rss_mb.<service>}: resident memory once all four have handled one job (login, upload,
 * conversion, mail) and sit idle.</li>
 * </ul>
 */
final class StartupBench {
    private static final List<String> SERVICES = List.of("auth", "gateway", "transcoder", "mailer");

    private StartupBench() {
    }

    static void run(Stack stack, Results results, int runs) throws Exception {
        Map<String, java.nio.file.Path> caches = new LinkedHashMap<>();
        try (Fleet training = new Fleet(stack)) {
            for (String service : SERVICES) {
                caches.put(service, training.aotCache(service));
            }
        }
        Map<String, List<Double>> ready = new LinkedHashMap<>();
        Map<String, List<Double>> rss = new LinkedHashMap<>();
        System.out.printf("%-6s %-11s %8s %10s%n", "run", "service", "ready s", "idle RSS MiB");
        for (int run = 0; run <= runs; run++) {
            try (Fleet fleet = new Fleet(stack)) {
                Map<String, ServiceProcess> started = new LinkedHashMap<>();
                Map<String, Double> readyNow = new LinkedHashMap<>();
                for (String service : SERVICES) {
                    Map<String, String> extra = new LinkedHashMap<>();
                    if (!service.equals("auth")) {
                        extra.put("AUTH_URL", started.get("auth").uri("").toString());
                    }
                    extra.put("TRANSCODER_INSTANCE_DASH_NAME", "bench-transcoder-" + fleet.id);
                    List<String> jvm = new ArrayList<>(Fleet.serviceJvm(service));
                    jvm.add("-XX:AOTCache=" + caches.get(service));
                    long start = System.nanoTime();
                    ServiceProcess process = fleet.start(service, extra, jvm);
                    process.awaitReady(Duration.ofSeconds(90));
                    readyNow.put(service, (System.nanoTime() - start) / 1e9);
                    started.put(service, process);
                }
                java.net.URI gateway = started.get("gateway").uri("/");
                String token = Stack.newUser(gateway);
                Stack.awaitDone(gateway, token, Stack.upload(gateway, token, TestMedia.path(Sample.MP4_H264_AAC)),
                        Duration.ofMinutes(2));
                Thread.sleep(2000); // the mail goes out and everything settles
                for (String service : SERVICES) {
                    double mib = Fleet.rssMib(started.get(service).process().pid(), "VmRSS");
                    System.out.printf("%-6s %-11s %8.2f %10.0f%s%n", run, service, readyNow.get(service), mib,
                            run == 0 ? "  (warm-up, not counted)" : "");
                    if (run > 0) {
                        ready.computeIfAbsent(service, s -> new ArrayList<>()).add(readyNow.get(service));
                        rss.computeIfAbsent(service, s -> new ArrayList<>()).add(mib);
                    }
                }
            }
        }
        Map<String, Stats> readyStats = new LinkedHashMap<>();
        Map<String, Stats> rssStats = new LinkedHashMap<>();
        ready.forEach((service, values) -> readyStats.put(service, Stats.of(values)));
        rss.forEach((service, values) -> rssStats.put(service, Stats.of(values)));
        results.put("ready_s", Results.perService(readyStats));
        results.put("idle_rss_mb", Results.perService(rssStats));
    }
}
