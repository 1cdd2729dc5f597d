package com.mp3converter.transcoder.convert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Json;

/**
 * The system's {@code ffprobe} and {@code ffmpeg} (Debian's, installed by the project's test tools): readers we did
 * not write, reading our MP3s back.
 */
final class DebianFfmpeg {
    private static final Pattern SUMMARY = Pattern.compile("Integrated loudness:\\s+I:\\s+(-?[\\d.]+|-inf) LUFS.*"
            + "True peak:\\s+Peak:\\s+(-?[\\d.]+|-inf) dBFS", Pattern.DOTALL);

    /** ffprobe's view of the file: format (with tags), streams and chapters. */
    static JsonNode probe(Path file) throws IOException {
        return Json.MAPPER.readTree(run("ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters",
                "-of", "json", file.toString()));
    }

    /** EBU R128 as FFmpeg's ebur128 filter measures it: integrated loudness (LUFS) and true peak (dBTP). */
    record Loudness(double lufs, double truePeakDb) {
    }

    static Loudness loudness(Path file) throws IOException {
        String log = run("ffmpeg", "-hide_banner", "-nostats", "-i", file.toString(), "-map", "0:a:0",
                "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-");
        Matcher summary = SUMMARY.matcher(log.substring(Math.max(0, log.lastIndexOf("Summary:"))));
        if (!summary.find()) {
            throw new IOException("no ebur128 summary in: " + log.substring(Math.max(0, log.length() - 2000)));
        }
        return new Loudness(Double.parseDouble(summary.group(1)), Double.parseDouble(summary.group(2)));
    }

    /** The audio as a gapless player plays it, mixed to mono floats at the file's rate. */
    static float[] decode(Path file) throws IOException {
        byte[] raw = runBytes("ffmpeg", "-v", "error", "-i", file.toString(), "-map", "0:a:0", "-ac", "1", "-f", "f32le", "-");
        float[] samples = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(samples);
        return samples;
    }

    private static String run(String... command) throws IOException {
        return new String(runBytes(command), StandardCharsets.UTF_8);
    }

    private static byte[] runBytes(String... command) throws IOException {
        List<String> args = new ArrayList<>(List.of(command));
        Process process;
        try {
            process = new ProcessBuilder(args).redirectErrorStream(!args.getFirst().equals("ffmpeg") || !args.contains("f32le"))
                    .start();
        } catch (IOException e) {
            throw new IOException(args.getFirst() + " is not installed (Debian: apt-get install ffmpeg; "
                    + "./mp3converter test installs it)", e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        process.getInputStream().transferTo(out);
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", args) + " failed: " + out.toString(StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return out.toByteArray();
    }
}
