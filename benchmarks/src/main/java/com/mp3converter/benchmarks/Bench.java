package com.mp3converter.benchmarks;

import java.nio.file.Path;

/**
 * {@code ./mp3converter bench PART}: measurements against what a user would pick instead, printed run by run
 * and written to benchmarks/results/latest.json. Parts: transcoder, auth, gateway.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("repo.root", ".")).toAbsolutePath();
        Results results = new Results(root);
        String part = args.length > 0 ? args[0] : "";
        switch (part) {
            case "transcoder" -> TranscodeBench.run(root, results, intArg(args, 1, 5), intArg(args, 2, 10));
            case "auth" -> AuthBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            case "gateway" -> GatewayBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            default -> {
                System.err.println("usage: ./mp3converter bench transcoder [runs=5] [minutes=10] | auth | gateway");
                System.exit(2);
            }
        }
    }

    private static int intArg(String[] args, int index, int fallback) {
        return args.length > index ? Integer.parseInt(args[index]) : fallback;
    }
}
