package com.mp3converter.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.mp3converter.testmedia.BundledFfmpeg;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;

/**
 * The conversion core against the {@code ffmpeg} CLI from the same bytedeco build, on the same generated
 * 1280x720 H.264 + AAC stereo file with the same encoder settings (libmp3lame, 192 kb/s CBR, 48 kHz, stereo),
 * alternating runs in one process tree. Prints every run and the median wall-time ratio (target ≤ 1.10).
 * Usage: TranscodeBench [minutes=10] [runs=5] [work dir=.local/bench]
 */
public final class TranscodeBench {
    private TranscodeBench() {
    }

    public static void main(String[] args) throws Exception {
        int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createDirectories(Path.of(args.length > 2 ? args[2] : ".local/bench"));
        BundledFfmpeg ffmpeg = new BundledFfmpeg(dir);
        Path video = TestMedia.longVideo(java.time.Duration.ofMinutes(minutes));
        Mp3Converter converter = new Mp3Converter();
        List<Double> ratios = new ArrayList<>();
        System.out.printf("%-4s %10s %10s %7s%n", "run", "core s", "cli s", "ratio");
        for (int run = 0; run <= runs; run++) {
            Path coreOut = dir.resolve("core.mp3");
            Path cliOut = dir.resolve("cli.mp3");
            double core;
            double cli;
            if (run % 2 == 0) {
                core = time(() -> converter.convert(video, coreOut, new Mp3Converter.Options(192, null), "bench", p -> { }));
                cli = time(() -> ffmpeg.run(List.of("-i", video.toString(), "-vn", "-c:a", "libmp3lame", "-b:a", "192k", "-ar", "48000",
                        "-ac", "2", cliOut.toString())));
            } else {
                cli = time(() -> ffmpeg.run(List.of("-i", video.toString(), "-vn", "-c:a", "libmp3lame", "-b:a", "192k", "-ar", "48000",
                        "-ac", "2", cliOut.toString())));
                core = time(() -> converter.convert(video, coreOut, new Mp3Converter.Options(192, null), "bench", p -> { }));
            }
            if (run == 0) {
                System.out.printf("%-4s %10.2f %10.2f %7.3f  (warm-up, not counted)%n", "0", core, cli, core / cli);
                continue;
            }
            ratios.add(core / cli);
            System.out.printf("%-4d %10.2f %10.2f %7.3f%n", run, core, cli, core / cli);
        }
        ratios.sort(Double::compare);
        double median = ratios.size() % 2 == 1 ? ratios.get(ratios.size() / 2)
                : (ratios.get(ratios.size() / 2 - 1) + ratios.get(ratios.size() / 2)) / 2;
        System.out.printf("median wall-time ratio core/cli over %d runs: %.3f (target <= 1.10)%n", ratios.size(), median);
        System.out.printf("durations: core %.2f s, cli %.2f s of audio%n", Mp3Converter.durationOf(dir.resolve("core.mp3")),
                Mp3Converter.durationOf(dir.resolve("cli.mp3")));
    }

    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    private static double time(Work work) throws Exception {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }
}
