package com.mp3converter.testmedia;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.Loader;

/**
 * The {@code ffmpeg} executable shipped in the bytedeco jar, runnable: it links {@code libva.so.2} and
 * {@code libva-drm.so.2}, which the jar ships under their unversioned names only, so a directory of
 * symlinks with the versioned names goes on its library path. It makes test media; it is never the
 * reference a benchmark compares against (that is the system's own {@code ffmpeg}).
 */
public final class BundledFfmpeg {
    private final Path executable;
    private final String libraryPath;

    /** {@code workDir}: where the versioned symlinks go. */
    public BundledFfmpeg(Path workDir) throws IOException {
        executable = Path.of(Loader.load(org.bytedeco.ffmpeg.ffmpeg.class));
        Path libs = executable.getParent();
        Path versioned = Files.createDirectories(workDir.resolve("ffmpeg-libs"));
        for (String lib : List.of("libva", "libva-drm")) {
            Path link = versioned.resolve(lib + ".so.2");
            Path temp = versioned.resolve(lib + ".so.2." + ProcessHandle.current().pid());
            Files.deleteIfExists(temp);
            Files.createSymbolicLink(temp, libs.resolve(lib + ".so"));
            Files.move(temp, link, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        libraryPath = libs + ":" + versioned;
    }

    /** Runs ffmpeg with these arguments; fails with its output when it fails. */
    public void run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable.toString(), "-hide_banner", "-nostdin", "-y", "-v", "error"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("LD_LIBRARY_PATH", libraryPath);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("ffmpeg " + String.join(" ", args) + " failed: " + output);
        }
    }
}
