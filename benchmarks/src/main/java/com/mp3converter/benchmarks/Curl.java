package com.mp3converter.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * curl as the HTTP client of the large transfers: what the platform's users run, in a process of its own as theirs
 * is. (The JDK's HttpClient reads 1 GiB from a local server in 1.4-2.4 s where curl takes 0.4 s: with it, the
 * benchmark measured the client.) The bearer token goes in a header file, never on the command line.
 */
final class Curl implements AutoCloseable {
    private final Path headers;

    Curl(Path dir) throws IOException {
        headers = Files.createTempFile(dir, "curl-headers", ".txt", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
    }

    /** Sends this bearer token from now on. */
    void authorize(String token) throws IOException {
        Files.writeString(headers, "Authorization: Bearer " + token + "\n");
    }

    /** Runs curl with these arguments (the URL among them) and returns what {@code --write-out} printed. */
    String run(String writeOut, String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--header", "@" + headers,
                "--output", "/dev/null", "--write-out", writeOut));
        command.addAll(List.of(args));
        try {
            Process curl = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            String err = new String(curl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (curl.waitFor() != 0) {
                throw new IllegalStateException("curl exited " + curl.exitValue() + ": " + err);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("curl could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(headers);
    }
}
