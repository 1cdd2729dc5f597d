package com.mp3converter.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Median and spread of repeated measurements, as the results file stores them. */
record Stats(double median, double min, double max, int runs) {

    static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no measurements");
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Stats(median, sorted.getFirst(), sorted.getLast(), n);
    }

    Map<String, Object> json() {
        return Map.of("median", round(median), "min", round(min), "max", round(max), "runs", runs);
    }

    /** The value below which a fraction {@code p} of these lie (nearest rank). */
    static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1))));
    }

    static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    @Override
    public String toString() {
        return String.format("median %.3f (%.3f .. %.3f, %d runs)", median, min, max, runs);
    }
}
