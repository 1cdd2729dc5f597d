package com.mp3converter.common.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;


/** One service started from its runnable jar, as the local stack and the container images run it (tests, benchmarks). */
public final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public final String name;
    public final int port;
    public final Path log;
    /** TRANSCODER_INSTANCE_DASH_NAME, for a transcoder: its lease owner name. */
    public final String instanceName;
    private final Process process;

    private ServiceProcess(String name, int port, Path log, Process process, String instanceName) {
        this.name = name;
        this.instanceName = instanceName;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    private static final java.util.regex.Pattern LISTENING = java.util.regex.Pattern.compile("listening on port (\\d+)");

    /**
     * Starts the jar on port 0 (the kernel picks a free one) unless {@code SERVER_PORT} is given, with the service's
     * JVM options ({@link #jvmOptions}), and returns once its log names the port.
     */
    public static ServiceProcess start(String name, Map<String, String> env, Path logDir) throws IOException {
        return start(name, env, logDir, jvmOptions(name));
    }

    /**
     * The JVM options the images and the local stack start this service with: {@code jvm/common.options}, then
     * {@code jvm/<service>.options} (argument files; {@code #} starts a comment).
     */
    public static List<String> jvmOptions(String service) throws IOException {
        List<String> options = new ArrayList<>();
        for (String file : List.of("common", service)) {
            for (String line : Files.readAllLines(LocalServers.repoRoot().resolve("jvm").resolve(file + ".options"))) {
                String option = line.replaceAll("#.*", "").strip();
                if (!option.isEmpty()) {
                    options.addAll(List.of(option.split("\\s+")));
                }
            }
        }
        return options;
    }

    /** jvm/common.env: the environment every service's JVM runs with. */
    public static Map<String, String> jvmEnvironment() throws IOException {
        Map<String, String> environment = new LinkedHashMap<>();
        for (String line : Files.readAllLines(LocalServers.repoRoot().resolve("jvm").resolve("common.env"))) {
            if (line.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                environment.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return environment;
    }

    /** The same with these JVM options instead of the service's own. */
    public static ServiceProcess start(String name, Map<String, String> env, Path logDir, List<String> jvmOptions)
            throws IOException {
        Path jar = LocalServers.repoRoot().resolve(name).resolve("target").resolve(name + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build with ./mvnw package first");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Djava.io.tmpdir=" + logDir, "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(jvmEnvironment());
        builder.environment().putAll(env);
        builder.environment().put("SERVER_PORT", env.getOrDefault("SERVER_PORT", "0"));
        Path log = Files.createTempFile(logDir, name + "-", ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = builder.start();
        return new ServiceProcess(name, boundPort(name, process, log), log, process,
                env.getOrDefault("TRANSCODER_INSTANCE_DASH_NAME", ""));
    }

    private static int boundPort(String name, Process process, Path log) throws IOException {
        Instant deadline = Instant.now().plusSeconds(90);
        while (Instant.now().isBefore(deadline)) {
            java.util.regex.Matcher port = LISTENING.matcher(Files.readString(log));
            if (port.find()) {
                return Integer.parseInt(port.group(1));
            }
            if (!process.isAlive()) {
                return -1; // awaitReady and the caller read the log to say why
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while " + name + " started", e);
            }
        }
        process.destroyForcibly();
        throw new IOException(name + " named no port in its log within 90 s: " + Files.readString(log));
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Waits for /health/ready to answer 200. */
    public ServiceProcess awaitReady(Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + tail());
            }
            try {
                HttpResponse<Void> ready = HTTP.send(HttpRequest.newBuilder(uri("/health/ready")).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(name + " not ready within " + timeout + ": " + tail());
    }

    public boolean alive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    /** SIGTERM, then the exit code (or -1 when it did not stop in time and was killed). */
    public int terminate(Duration grace) throws InterruptedException {
        process.destroy();
        if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        process.destroyForcibly().waitFor();
        return -1;
    }

    /** kill -9. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate(Duration.ofSeconds(30));
        }
    }
}
