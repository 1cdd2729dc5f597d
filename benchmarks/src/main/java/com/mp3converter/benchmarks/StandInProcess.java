package com.mp3converter.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A MongoDB stand-in JVM a benchmark starts on a free port with its own data file, and stops: ours
 * ({@code MongoStandIn}, with the JVM options scripts/stack.sh gives it) or, as the reference, mongo-java-server's
 * own H2 backend with the same options ({@link PlainStandIn}).
 */
final class StandInProcess implements AutoCloseable {
    private static final Pattern STACK_OPTIONS = Pattern.compile("MONGO_JVM_OPTIONS=\"([^\"]+)\"");

    final String name;
    final Path file;
    final int port;
    private final Process process;

    private StandInProcess(String name, Path file, int port, Process process) {
        this.name = name;
        this.file = file;
        this.port = port;
        this.process = process;
    }

    /** The JVM options the local stack starts its stand-in with (MONGO_JVM_OPTIONS in scripts/stack.sh). */
    static List<String> stackJvmOptions(Path root) throws IOException {
        Matcher options = STACK_OPTIONS.matcher(Files.readString(root.resolve("scripts/stack.sh")));
        if (!options.find()) {
            throw new IllegalStateException("scripts/stack.sh sets no MONGO_JVM_OPTIONS");
        }
        return Arrays.asList(options.group(1).split(" "));
    }

    /** Ours, with these JVM options (the stack's: {@link #stackJvmOptions}). */
    static StandInProcess ours(Path root, Path dir, List<String> jvm) throws Exception {
        Path devstack = root.resolve("devstack/target");
        if (!Files.isDirectory(devstack.resolve("libs"))) {
            throw new IllegalStateException("devstack is not built: ./mvnw -pl devstack package");
        }
        int port = freePort();
        Path file = dir.resolve("ours.mv");
        List<String> command = java(jvm, devstack.resolve("classes") + ":" + devstack.resolve("libs") + "/*",
                "com.mp3converter.devstack.MongoStandIn");
        command.addAll(List.of("--port", Integer.toString(port), "--file", file.toString()));
        return start("ours", file, port, command, dir);
    }

    /** mongo-java-server's own H2 backend, with these JVM options. */
    static StandInProcess plain(Path dir, List<String> jvm) throws Exception {
        int port = freePort();
        Path file = dir.resolve("plain.mv");
        List<String> command = java(jvm, System.getProperty("java.class.path"), PlainStandIn.class.getName());
        command.addAll(List.of(Integer.toString(port), file.toString()));
        return start("plain", file, port, command, dir);
    }

    private static List<String> java(List<String> options, String classpath, String main) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(options);
        command.addAll(List.of("-cp", classpath, main));
        return command;
    }

    private static StandInProcess start(String name, Path file, int port, List<String> command, Path dir) throws Exception {
        Files.deleteIfExists(file);
        Path log = dir.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        StandInProcess standIn = new StandInProcess(name, file, port, process);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " stand-in exited: " + Files.readString(log));
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return standIn;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        standIn.close();
        throw new IllegalStateException(name + " stand-in did not listen on " + port + " within 60 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    String uri() {
        return "mongodb://127.0.0.1:" + port;
    }

    double rssMib() throws IOException {
        return Fleet.rssMib(process.pid(), "VmRSS");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
