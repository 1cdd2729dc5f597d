package com.mp3converter.benchmarks;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./mp3converter bench PART}: measurements against what a user would pick instead, printed run by run and
 * written to benchmarks/results/latest.json (docs/benchmarks.md says what each key means and what we saw).
 */
public final class Bench {
    private static final List<String> ALL = List.of("tokens", "latency", "pipeline", "startup", "scale", "gateway",
            "downloads", "transcoder", "memory");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("repo.root", ".")).toAbsolutePath();
        Results results = new Results(root);
        String part = args.length > 0 ? args[0] : "";
        if (part.equals("all")) {
            long start = System.nanoTime();
            for (String each : ALL) {
                System.out.printf("%n== %s ==%n", each);
                run(each, root, results);
            }
            System.out.printf("%nall parts in %.1f min; results in %s%n", (System.nanoTime() - start) / 60e9,
                    root.relativize(results.file()));
        } else if (part.equals("standin")) {
            StandInBench.run(root, results, new java.util.ArrayList<>(List.of(args).subList(1, args.length)));
        } else if (part.equals("soak")) {
            SoakBench.run(root, results, args.length > 1 ? Double.parseDouble(args[1]) : 10);
        } else if (ALL.contains(part)) {
            run(part, root, results);
        } else {
            System.err.println("usage: ./mp3converter bench all|soak [GiB]|standin [steps jobs videoMiB mp3KiB --profile]|"
                    + String.join("|", ALL));
            System.exit(2);
        }
    }

    private static void run(String part, Path root, Results results) throws Exception {
        switch (part) {
            case "tokens" -> TokenBench.run(results, 5);
            case "latency" -> LatencyBench.run(new Stack(root), results, 3);
            case "pipeline" -> PipelineBench.run(new Stack(root), results, 5);
            case "startup" -> StartupBench.run(new Stack(root), results, 3);
            case "scale" -> ScaleBench.run(new Stack(root), results, 3);
            case "gateway" -> GatewayBench.run(new Stack(root), results, 1024, 3);
            case "downloads" -> DownloadBench.run(new Stack(root), results, 3);
            case "transcoder" -> TranscodeBench.run(root, results, 5, 10);
            case "memory" -> MemoryBench.run(new Stack(root), results, Integer.getInteger("bench.runs", 3));
            default -> throw new IllegalArgumentException(part);
        }
    }
}
