package com.mp3converter.benchmarks;

import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.LoudnessMeter;
import com.mp3converter.transcoder.convert.Mp3Converter;

import org.bytedeco.javacv.FFmpegFrameFilter;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * The transcoder against what a user would run instead: the system's own {@code ffmpeg} CLI (Debian's 5.1 here),
 * on the same generated 10-minute 1280x720 H.264 + AAC stereo 48 kHz file with tags and a chapter a minute,
 * alternating, a warm-up pair discarded. The reference for the default conversion is what gives a user the same
 * MP3: {@code ffmpeg -i in -map 0:a -map_metadata 0 -c:a libmp3lame -b:a 192k} (tags and chapters copied) plus
 * the same cover extraction ({@code thumbnail} over the first 100 frames, at most 600 px, JPEG).
 * <ul>
 * <li>{@code converter_ratio}: our converter, default options (tags, cover, chapters, ReplayGain) ÷ the CLI pair;</li>
 * <li>{@code loudness_ratio}: our converter normalising to -16 LUFS ÷ its default conversion (target ≤ 2.2);</li>
 * <li>{@code r128_meter_ratio}: decoding the audio and measuring R128 with our meter ÷ the same with FFmpeg's
 * {@code ebur128} filter through JavaCV's FFmpegFrameFilter (why ReplayGain uses our meter);</li>
 * <li>{@code job_ratio}: a whole job through services started from this build (auth, gateway, transcoder on the
 * local stack's servers, their own database and streams), from the transcoder's claim to DONE, GridFS read and
 * write included ÷ the CLI pair.</li>
 * </ul>
 */
final class TranscodeBench {
    private static final String COVER_FILTER = "thumbnail=n=100,scale=w='min(600,iw)':h='min(600,ih)'"
            + ":force_original_aspect_ratio=decrease";

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
        Alternating.Side cli = () -> cli(ffmpeg, video, dir);
        Alternating.Side ours = () -> Alternating.time(() -> convert(converter, video, dir.resolve("core.mp3"),
                Mp3Converter.Options.DEFAULT));
        Alternating core = Alternating.run("converter, default (tags, cover, chapters, ReplayGain) vs ffmpeg + cover",
                runs, ours, cli);
        results.put("converter_ratio", Stats.of(core.ratios));
        results.put("converter_s", Stats.of(core.ours));
        results.put("system_ffmpeg_s", Stats.of(core.reference));

        Alternating loudness = Alternating.run("converter, loudness -16 LUFS vs converter, default", runs,
                () -> Alternating.time(() -> convert(converter, video, dir.resolve("loud.mp3"), new Mp3Converter.Options(
                        null, null, null, null, null, -16.0, null, null))), ours);
        results.put("loudness_ratio", Stats.of(loudness.ratios));
        results.put("loudness_s", Stats.of(loudness.ours));

        Alternating r128 = Alternating.run("R128 of the decoded audio: our meter vs FFmpeg's ebur128 filter", runs,
                () -> measure(video, false), () -> measure(video, true));
        results.put("r128_meter_ratio", Stats.of(r128.ratios));

        Stack stack = new Stack(root);
        try (Fleet fleet = new Fleet(stack)) {
            URI auth = fleet.startReady("auth", Map.of()).uri("/");
            Map<String, String> toAuth = Map.of("AUTH_URL", auth.toString().replaceAll("/$", ""));
            URI gateway = fleet.startReady("gateway", toAuth).uri("/");
            fleet.startReady("transcoder", Map.of("TRANSCODER_INSTANCE_DASH_NAME", "bench-" + fleet.id));
            String token = Stack.newUser(gateway);
            Alternating job = Alternating.run("whole job (claim -> DONE, GridFS in and out) vs ffmpeg + cover", runs, () -> {
                JsonNode done = Stack.awaitDone(gateway, token, Stack.upload(gateway, token, video), Duration.ofMinutes(10));
                return Stack.between(done, "startedAt", "finishedAt");
            }, cli);
            results.put("job_ratio", Stats.of(job.ratios));
            results.put("job_s", Stats.of(job.ours));
        }
    }

    private static void convert(Mp3Converter converter, Path video, Path out, Mp3Converter.Options options) {
        try {
            converter.convert(video, out, options, "bench", p -> { });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CLI's MP3 with the source's tags and chapters, then the cover the same way: seconds for both. */
    private static double cli(Path ffmpeg, Path video, Path dir) throws Exception {
        long start = System.nanoTime();
        ffmpeg(ffmpeg, "-i", video.toString(), "-map", "0:a", "-map_metadata", "0", "-c:a", "libmp3lame", "-b:a", "192k",
                dir.resolve("cli.mp3").toString());
        ffmpeg(ffmpeg, "-i", video.toString(), "-map", "0:v:0", "-vf", COVER_FILTER, "-frames:v", "1", "-q:v", "3",
                dir.resolve("cli-cover.jpg").toString());
        return (System.nanoTime() - start) / 1e9;
    }

    private static void ffmpeg(Path ffmpeg, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ffmpeg.toString(), "-hide_banner", "-nostdin", "-y", "-v", "error"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + output);
        }
    }

    /** Seconds to decode the audio and measure its loudness, with our meter or FFmpeg's filter. */
    private static double measure(Path video, boolean filter) throws Exception {
        long start = System.nanoTime();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toFile())) {
            grabber.setSampleMode(FrameGrabber.SampleMode.FLOAT);
            grabber.start();
            int channels = grabber.getAudioChannels();
            LoudnessMeter meter = new LoudnessMeter(channels, grabber.getSampleRate(), true);
            try (FFmpegFrameFilter ebur128 = new FFmpegFrameFilter("ebur128=peak=true:framelog=verbose", channels)) {
                ebur128.setSampleRate(grabber.getSampleRate());
                ebur128.setSampleFormat(org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT);
                ebur128.start();
                for (Frame frame = grabber.grabSamples(); frame != null; frame = grabber.grabSamples()) {
                    if (filter) {
                        ebur128.push(frame);
                        while (ebur128.pull() != null) {
                            // the filter passes the audio on; only its measuring is timed
                        }
                    } else if (frame.samples != null && frame.samples[0] instanceof FloatBuffer samples) {
                        meter.add(MemorySegment.ofBuffer(samples), samples.remaining() / channels);
                    }
                }
            }
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
