package com.mp3converter.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;

/**
 * The transcoder against what a user would run instead: the system's own {@code ffmpeg} CLI (Debian's 5.1 here),
 * on the same generated 10-minute 1280x720 H.264 + AAC stereo 48 kHz file, same settings (libmp3lame, 192 kb/s
 * CBR, 48 kHz, stereo), alternating, a warm-up pair discarded:
 * <ul>
 * <li>{@code converter_ratio}: the conversion core alone ÷ the CLI;</li>
 * <li>{@code job_ratio}: a whole job through the running stack, from the transcoder's claim (conversion.started)
 * to DONE, GridFS read and write included ÷ the CLI.</li>
 * </ul>
 * Usage: TranscodeBench [runs=5] [minutes=10]
 */
final class TranscodeBench {
    private TranscodeBench() {
    }

    static void run(Path root, Results results, int runs, int minutes) throws Exception {
        Path ffmpeg = Path.of("/usr/bin/ffmpeg");
        if (!Files.isExecutable(ffmpeg)) {
            throw new IllegalStateException("the system's ffmpeg is not installed (bench.sh installs Debian's ffmpeg)");
        }
        Path video = TestMedia.longVideo(Duration.ofMinutes(minutes));
        Path dir = Files.createDirectories(root.resolve(".local/bench"));
        Mp3Converter converter = new Mp3Converter();
        System.out.printf("%s: %d MiB, encoder %s %s, reference %s%n", video.getFileName(), Files.size(video) >> 20,
                converter.encoder(), converter.encoderVersion(), version(ffmpeg));
        Alternating.Side cli = () -> cli(ffmpeg, video, dir.resolve("cli.mp3"));
        Alternating core = Alternating.run("converter vs system ffmpeg", runs,
                () -> Alternating.time(() -> convert(converter, video, dir.resolve("core.mp3"))), cli);
        results.put("converter_ratio", Stats.of(core.ratios));
        results.put("converter_s", Stats.of(core.ours));
        results.put("system_ffmpeg_s", Stats.of(core.reference));

        Stack stack = new Stack(root);
        String token = stack.newUser();
        Alternating job = Alternating.run("whole job (claim -> DONE, GridFS in and out) vs system ffmpeg", runs, () -> {
            JsonNode done = stack.awaitDone(token, stack.upload(token, video), Duration.ofMinutes(10));
            return Stack.between(done, "startedAt", "finishedAt");
        }, cli);
        results.put("job_ratio", Stats.of(job.ratios));
        results.put("job_s", Stats.of(job.ours));
    }

    private static void convert(Mp3Converter converter, Path video, Path out) {
        try {
            converter.convert(video, out, new Mp3Converter.Options(192, null), "bench", p -> { });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double cli(Path ffmpeg, Path video, Path out) throws Exception {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(ffmpeg.toString(), "-hide_banner", "-nostdin", "-y", "-v", "error",
                "-i", video.toString(), "-vn", "-c:a", "libmp3lame", "-b:a", "192k", "-ar", "48000", "-ac", "2",
                out.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + output);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static String version(Path ffmpeg) throws Exception {
        Process process = new ProcessBuilder(ffmpeg.toString(), "-version").start();
        String first = new String(process.getInputStream().readAllBytes()).lines().findFirst().orElse("ffmpeg");
        process.waitFor();
        return first.replaceAll(" Copyright.*", "");
    }
}
