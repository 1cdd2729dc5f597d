package com.mp3converter.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.testing.LocalServers;

/** The running local stack as a user reaches it: sign up, log in, upload, follow a job. */
final class Stack {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PASSWORD = "benchmark password, long enough";
    private static final Pattern VERIFY_LINK = Pattern.compile("#verify=([A-Za-z0-9_-]{43})");
    private static final AtomicInteger SIGN_UPS = new AtomicInteger();

    final Path root;
    final Map<String, String> env;
    final URI gateway;

    Stack(Path root) throws IOException {
        this.root = root;
        env = new HashMap<>();
        Path file = root.resolve(".local/env");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no local stack: run ./mp3converter up first");
        }
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                String name = line.substring(0, eq);
                // a variable of the same name wins: MONGO_URI=... names a real MongoDB instead of the stand-in
                env.put(name, System.getenv().getOrDefault(name, line.substring(eq + 1)));
            }
        }
        gateway = URI.create("http://127.0.0.1:" + System.getenv().getOrDefault("GATEWAY_PORT", "8080"));
    }

    /** Which MongoDB the figures are against: the stack's stand-in unless MONGO_URI names another server. */
    String mongoDescription() {
        return env.get("MONGO_URI") + (System.getenv("MONGO_URI") == null ? " (the local stack's stand-in)" : "");
    }

    /** A process of the local stack's (its pid file: mongodb for the stand-in, or a service's name), when it runs here. */
    java.util.Optional<Long> pid(String part) throws IOException {
        Path pid = root.resolve(".local/run/" + part + ".pid");
        return Files.isRegularFile(pid) ? java.util.Optional.of(Long.parseLong(Files.readString(pid).trim()))
                : java.util.Optional.empty();
    }

    /** A new user's token at this gateway (the running stack's, or one a benchmark started). */
    String newUser() throws Exception {
        return newUser(gateway);
    }

    /**
     * A new user's token at this gateway: signed up from a loopback address of its own (127.0.0.2 to .251 in turn:
     * sign-ups are limited per address), its address verified by the link the mail brings, as a person would.
     */
    static String newUser(URI gateway) throws Exception {
        String email = "bench-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        HttpResponse<String> created;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).localAddress(
                InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + SIGN_UPS.getAndIncrement() % 250)})).build()) {
            created = client.send(HttpRequest.newBuilder(gateway.resolve("/signup"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }
        if (created.statusCode() != 201) {
            throw new IllegalStateException("sign-up answered " + created.statusCode() + ": " + created.body());
        }
        HttpResponse<String> verified = HTTP.send(HttpRequest.newBuilder(gateway.resolve("/account/verify"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + verificationToken(email) + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (verified.statusCode() != 200) {
            throw new IllegalStateException("verification answered " + verified.statusCode() + ": " + verified.body());
        }
        HttpResponse<String> token = HTTP.send(HttpRequest.newBuilder(gateway.resolve("/login"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (email + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (token.statusCode() != 200) {
            throw new IllegalStateException("login answered " + token.statusCode() + ": " + token.body());
        }
        return token.body();
    }

    /** The token of the verification link mailed to this address, read from the local stack's inbox. */
    private static String verificationToken(String email) throws Exception {
        URI inbox = URI.create(LocalServers.get("GREENMAIL_API") + "/api/user/" + email + "/messages/");
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> messages = HTTP.send(HttpRequest.newBuilder(inbox).build(), HttpResponse.BodyHandlers.ofString());
            if (messages.statusCode() == 200) {
                for (JsonNode message : Json.MAPPER.readTree(messages.body())) {
                    // quoted-printable: soft line breaks and '=' as =3D
                    String mime = message.path("mimeMessage").asText().replaceAll("=\r?\n", "").replace("=3D", "=");
                    Matcher link = VERIFY_LINK.matcher(mime);
                    if (mime.contains("account.verify") && link.find()) {
                        return link.group(1);
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no verification mail reached " + email + " within 60 s: is the stack's mailer up?");
    }

    /** Uploads a file as the tutorial's curl does; the job id. */
    String upload(String token, Path file) throws Exception {
        return upload(gateway, token, file);
    }

    static String upload(URI gateway, String token, Path file) throws Exception {
        String boundary = "bench" + UUID.randomUUID();
        HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(gateway.resolve("/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; "
                                + "filename=\"" + file.getFileName() + "\"\r\n\r\n"),
                        HttpRequest.BodyPublishers.ofFile(file),
                        HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n")))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (accepted.statusCode() != 202) {
            throw new IllegalStateException("upload answered " + accepted.statusCode() + ": " + accepted.body());
        }
        return Json.MAPPER.readTree(accepted.body()).get("jobId").asText();
    }

    /** Polls the job until it ends (every 10 ms); the job's view. */
    JsonNode awaitDone(String token, String jobId, Duration timeout) throws Exception {
        return awaitDone(gateway, token, jobId, timeout);
    }

    static JsonNode awaitDone(URI gateway, String token, String jobId, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> job = HTTP.send(HttpRequest.newBuilder(gateway.resolve("/jobs/" + jobId))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode view = Json.MAPPER.readTree(job.body());
            String state = view.path("state").asText();
            if (state.equals("DONE")) {
                return view;
            }
            if (state.equals("FAILED")) {
                throw new IllegalStateException("job " + jobId + " failed: " + view);
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("job " + jobId + " did not finish within " + timeout);
    }

    /** Deletes a job (and its files) as its owner would; one already gone is fine. */
    void deleteJob(String token, String jobId) throws Exception {
        HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(gateway.resolve("/jobs/" + jobId))
                .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        if (deleted.statusCode() != 204 && deleted.statusCode() != 404) {
            throw new IllegalStateException("DELETE /jobs/" + jobId + " answered " + deleted.statusCode() + ": " + deleted.body());
        }
    }

    /** The machine's load averages (1, 5, 15 minutes), to print beside figures: other work moves them. */
    static String load() {
        try {
            return String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Seconds between two instants of a job view. */
    static double between(JsonNode job, String from, String to) {
        return Duration.between(Instant.parse(job.get(from).asText()), Instant.parse(job.get(to).asText())).toNanos() / 1e9;
    }
}
