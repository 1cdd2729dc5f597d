package com.mp3converter.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * Two sides measured in one run, alternating which goes first, after a warm-up pair that is not counted; each
 * side's times and the per-pair ratios (ours ÷ reference) are kept.
 */
final class Alternating {
    /** One measured thing: its time in seconds. */
    @FunctionalInterface
    interface Side {
        double seconds() throws Exception;
    }

    final List<Double> ours = new ArrayList<>();
    final List<Double> reference = new ArrayList<>();
    final List<Double> ratios = new ArrayList<>();

    static Alternating run(String what, int runs, Side ours, Side reference) throws Exception {
        Alternating result = new Alternating();
        System.out.printf("%s%n%-6s %10s %10s %8s%n", what, "run", "ours s", "ref s", "ratio");
        for (int run = 0; run <= runs; run++) {
            double a;
            double b;
            if (run % 2 == 0) {
                a = ours.seconds();
                b = reference.seconds();
            } else {
                b = reference.seconds();
                a = ours.seconds();
            }
            if (run == 0) {
                System.out.printf("%-6s %10.2f %10.2f %8.3f  (warm-up, not counted)%n", "0", a, b, a / b);
                continue;
            }
            result.ours.add(a);
            result.reference.add(b);
            result.ratios.add(a / b);
            System.out.printf("%-6d %10.2f %10.2f %8.3f%n", run, a, b, a / b);
        }
        System.out.println("ratio " + Stats.of(result.ratios));
        return result;
    }

    /** Per pair, the reference's time ÷ ours: our speed relative to the reference's (1 = as fast). */
    List<Double> speedRatios() {
        return ratios.stream().map(r -> 1 / r).toList();
    }

    static double time(Runnable work) {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }
}
