package com.mp3converter.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.Loader;

/**
 * The {@code ffmpeg} executable shipped in the bytedeco jar, runnable: it links {@code libva.so.2} and
 * {@code libva-drm.so.2}, which the jar ships under their unversioned names only, so a directory of
 * symlinks with the versioned names goes on its library path.
 */
final class FfmpegCli {
    private final Path executable;
    private final String libraryPath;

    FfmpegCli() throws IOException {
        executable = Path.of(Loader.load(org.bytedeco.ffmpeg.ffmpeg.class));
        Path libs = executable.getParent();
        Path versioned = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "mp3converter-ffmpeg-libs"));
        for (String lib : List.of("libva", "libva-drm")) {
            Path link = versioned.resolve(lib + ".so.2");
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, libs.resolve(lib + ".so"));
        }
        libraryPath = libs + ":" + versioned;
    }

    /** Runs ffmpeg with these arguments; fails with its output when it fails. */
    void run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable.toString(), "-hide_banner", "-nostdin", "-y", "-v", "error"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("LD_LIBRARY_PATH", libraryPath);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("ffmpeg " + String.join(" ", args) + " failed: " + output);
        }
    }
}
