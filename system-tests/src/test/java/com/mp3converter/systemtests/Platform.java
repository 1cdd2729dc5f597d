package com.mp3converter.systemtests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;
import com.rabbitmq.stream.Environment;

/**
 * The four services from their jars against the local stack's real servers, isolated per test class:
 * its own auth schema, MongoDB database, stream names and signing key, so runs never see each other.
 */
final class Platform implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    final String id = LocalServers.unique();
    final Path dir;
    final Map<String, String> env = new HashMap<>();
    private final List<ServiceProcess> processes = new ArrayList<>();
    ServiceProcess auth;
    ServiceProcess gateway;
    private final String database = "auth_e2e_" + id;
    private final java.util.concurrent.atomic.AtomicInteger signUps = new java.util.concurrent.atomic.AtomicInteger();
    /** The gateway passes /webhooks to the mailer, so the mailer's port is chosen before either starts. */
    private final int mailerPort;

    Platform(Map<String, String> overrides) throws Exception {
        dir = Files.createTempDirectory("mp3converter-e2e-");
        String dbUrl = LocalServers.get("DB_URL");
        String server = dbUrl.substring(0, dbUrl.lastIndexOf('/'));
        sql(server, "CREATE DATABASE " + database);
        env.put("SERVER_HOST", LocalServers.get("SERVER_HOST"));
        env.put("DB_URL", server + "/" + database);
        env.put("DB_USERNAME", LocalServers.get("DB_USERNAME"));
        env.put("DB_PASSWORD", LocalServers.get("DB_PASSWORD"));
        env.put("AUTH_KEYS_DASH_DIR", dir.resolve("keys").toString());
        env.put("AUTH_ADMIN_EMAIL", "admin-" + id + "@example.com");
        env.put("AUTH_ADMIN_PASSWORD", "admin password " + id);
        env.put("RABBITMQ_HOST", LocalServers.get("RABBITMQ_HOST"));
        env.put("RABBITMQ_STREAM_DASH_PORT", LocalServers.get("RABBITMQ_STREAM_PORT"));
        env.put("RABBITMQ_USERNAME", LocalServers.get("RABBITMQ_USERNAME"));
        env.put("RABBITMQ_PASSWORD", LocalServers.get("RABBITMQ_PASSWORD"));
        env.put("STREAMS_VIDEOS_NAME", "e2e.videos." + id);
        env.put("STREAMS_JOB_DASH_EVENTS_NAME", "e2e.job-events." + id);
        env.put("STREAMS_NOTIFICATIONS_NAME", "e2e.notifications." + id);
        env.put("STREAMS_MAX_DASH_AGE", "PT2H");
        env.put("MONGO_URI", LocalServers.get("MONGO_URI"));
        env.put("MONGO_DATABASE", "e2e_" + id);
        env.put("SMTP_HOST", LocalServers.get("SMTP_HOST"));
        env.put("SMTP_PORT", LocalServers.get("SMTP_PORT"));
        env.put("SMTP_SECURITY", "none");
        env.put("SMTP_FROM", "noreply@mp3converter.test");
        env.put("TRANSCODER_INSTANCE_DASH_NAME", "transcoder-" + id + "-a");
        env.put("GATEWAY_REPLICA_DASH_NAME", "gateway-" + id);
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            mailerPort = probe.getLocalPort();
        }
        env.put("MAILER_URL", "http://127.0.0.1:" + mailerPort);
        env.put("INTERNAL_TOKEN", "internal-" + id + "-" + LocalServers.unique() + LocalServers.unique());
        overrides.forEach((k, v) -> env.put(k, v.replace("{db}", database)));
    }

    static Platform start() throws Exception {
        return start(Map.of());
    }

    static Platform start(Map<String, String> overrides) throws Exception {
        return start(overrides, 1);
    }

    /** The four services, with {@code transcoders} transcoder JVMs (named ...-a, ...-b, ...). */
    static Platform start(Map<String, String> overrides, int transcoders) throws Exception {
        Platform platform = new Platform(overrides);
        try {
            platform.auth = platform.launch("auth", Map.of());
            platform.auth.awaitReady(Duration.ofSeconds(90));
            platform.env.put("AUTH_URL", "http://127.0.0.1:" + platform.auth.port);
            platform.gateway = platform.launch("gateway", Map.of());
            platform.env.put("MAILER_PUBLIC_DASH_URL", "http://127.0.0.1:" + platform.gateway.port);
            List<ServiceProcess> started = new ArrayList<>(List.of(platform.gateway));
            for (int i = 0; i < transcoders; i++) {
                started.add(platform.launch("transcoder",
                        Map.of("TRANSCODER_INSTANCE_DASH_NAME", "transcoder-" + platform.id + "-" + (char) ('a' + i))));
            }
            started.add(platform.launch("mailer", Map.of()));
            for (ServiceProcess p : started) {
                p.awaitReady(Duration.ofSeconds(90));
            }
            return platform;
        } catch (Exception e) {
            platform.close();
            throw e;
        }
    }

    ServiceProcess launch(String service, Map<String, String> extra) throws IOException {
        Map<String, String> all = new HashMap<>(env);
        if (service.equals("mailer") && running("mailer").stream().noneMatch(p -> p.port == mailerPort)) {
            all.put("SERVER_PORT", Integer.toString(mailerPort));
        }
        all.putAll(extra);
        ServiceProcess process = ServiceProcess.start(service, all, dir);
        processes.add(process);
        return process;
    }

    List<ServiceProcess> processes() {
        return processes;
    }

    /** The running processes of one service. */
    List<ServiceProcess> running(String service) {
        return processes.stream().filter(p -> p.name.equals(service) && p.alive()).toList();
    }

    URI gateway(String path) {
        return gateway.uri(path);
    }

    /** Another gateway replica (its own replica name: its own producers and outbox leases), ready. */
    ServiceProcess launchGateway(String label) throws Exception {
        return launch("gateway", Map.of("GATEWAY_REPLICA_DASH_NAME", "gateway-" + id + "-" + label))
                .awaitReady(Duration.ofSeconds(90));
    }

    /** Sends the platform's requests to this gateway from now on. */
    void useGateway(ServiceProcess replica) {
        gateway = replica;
    }

    /**
     * Signs up a new user and verifies its address as a person would, with the link the verification mail brings;
     * returns its e-mail. The password is {@link #PASSWORD}.
     */
    String newUser(String label) throws Exception {
        String email = newUnverifiedUser(label);
        String token = verificationToken(email);
        HttpResponse<String> verified = HTTP.send(HttpRequest.newBuilder(gateway("/account/verify"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (verified.statusCode() != 200) {
            throw new IllegalStateException("verification answered " + verified.statusCode() + ": " + verified.body());
        }
        return email;
    }

    /**
     * Signs up a new user and leaves its address unverified; returns its e-mail. Each user signs up from an address
     * of its own (127.0.0.2 to .251, in turn), as different people do: sign-ups are limited per address.
     */
    String newUnverifiedUser(String label) throws Exception {
        String email = label + "-" + LocalServers.unique() + "@example.com";
        HttpResponse<String> created;
        try (HttpClient client = HttpClient.newBuilder().localAddress(InetAddress.getByAddress(
                new byte[] {127, 0, 0, (byte) (2 + signUps.getAndIncrement() % 250)})).build()) {
            created = client.send(HttpRequest.newBuilder(gateway("/signup"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }
        if (created.statusCode() != 201) {
            throw new IllegalStateException("sign-up answered " + created.statusCode() + ": " + created.body());
        }
        return email;
    }

    /** The token of the newest verification link mailed to this address (waiting for the mail). */
    static String verificationToken(String email) throws Exception {
        return linkToken(awaitMail(email, "account.verify", Duration.ofSeconds(60)), "#verify=");
    }

    /** The token a link in an account mail carries after {@code marker} ("#verify=", "#reset="). */
    static String linkToken(Mail mail, String marker) {
        java.util.regex.Matcher link = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(marker) + "([A-Za-z0-9_-]{43})")
                .matcher(mail.text());
        if (!link.find()) {
            throw new AssertionError("no " + marker + " link in the mail: " + mail.text());
        }
        return link.group(1);
    }

    static final String PASSWORD = "twelve or more characters";

    String login(String email) throws Exception {
        HttpResponse<String> token = HTTP.send(HttpRequest.newBuilder(gateway("/login"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((email + ":" + PASSWORD).getBytes()))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (token.statusCode() != 200) {
            throw new IllegalStateException("login answered " + token.statusCode() + ": " + token.body());
        }
        return token.body();
    }

    /** The status a login with this password answers. */
    int loginStatus(String email, String password) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(gateway("/login"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((email + ":" + password)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    JsonNode job(String token, String jobId) throws Exception {
        HttpResponse<String> job = HTTP.send(HttpRequest.newBuilder(gateway("/jobs/" + jobId))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        return job.statusCode() == 200 ? Json.MAPPER.readTree(job.body()) : null;
    }

    /** Polls the job until a terminal state. */
    JsonNode awaitFinished(String token, String jobId, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode job = null;
        while (Instant.now().isBefore(deadline)) {
            job = job(token, jobId);
            if (job != null && List.of("DONE", "FAILED", "CANCELLED").contains(job.get("state").asText())) {
                return job;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("job " + jobId + " did not finish within " + timeout + "; last seen: " + job);
    }

    /**
     * The messages in the local SMTP server's inbox for this address (none yet: GreenMail has not seen the address).
     * Fails when the inbox cannot be read, so that "no mail arrived" is never the inbox API failing.
     */
    static List<JsonNode> inbox(String email) throws Exception {
        HttpResponse<String> messages = HTTP.send(HttpRequest.newBuilder(
                URI.create(LocalServers.get("GREENMAIL_API") + "/api/user/" + email + "/messages/"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        List<JsonNode> list = new ArrayList<>();
        if (messages.statusCode() == 200) {
            Json.MAPPER.readTree(messages.body()).forEach(list::add);
            return list;
        }
        if (messages.statusCode() == 400 && messages.body().contains("User '" + email + "' not found")) {
            return list;
        }
        throw new AssertionError("the inbox of " + email + " cannot be read: " + messages.statusCode() + " " + messages.body());
    }

    /** The parsed mails in the inbox of this address. */
    static List<Mail> mails(String email) throws Exception {
        List<Mail> mails = new ArrayList<>();
        for (JsonNode m : inbox(email)) {
            mails.add(Mail.parse(m));
        }
        return mails;
    }

    /** The mails about jobs (not the account's own mails) in the inbox of this address. */
    static List<Mail> jobMails(String email) throws Exception {
        return mails(email).stream().filter(m -> m.jobId() != null).toList();
    }

    /** Waits until at least {@code count} mails about jobs are in the inbox and returns them; fails if they do not come. */
    static List<Mail> awaitJobMails(String email, int count, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        List<Mail> mails = jobMails(email);
        while (mails.size() < count && Instant.now().isBefore(deadline)) {
            Thread.sleep(300);
            mails = jobMails(email);
        }
        if (mails.size() < count) {
            throw new AssertionError(count + " job mails for " + email + " did not arrive within " + timeout + "; "
                    + mails.size() + " did");
        }
        return mails;
    }

    /** Waits for the newest mail of this kind (account.verify, ...) to this address; fails if none comes. */
    static Mail awaitMail(String email, String kind, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<Mail> found = mails(email).stream().filter(m -> kind.equals(m.kind())).toList();
            if (!found.isEmpty()) {
                return found.getLast();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + kind + " mail for " + email + " within " + timeout);
            }
            Thread.sleep(300);
        }
    }

    private static void sql(String server, String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(server + "/", LocalServers.get("DB_USERNAME"), LocalServers.get("DB_PASSWORD"));
             Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    @Override
    public void close() throws Exception {
        for (ServiceProcess p : processes) {
            p.close();
        }
        String dbUrl = LocalServers.get("DB_URL");
        sql(dbUrl.substring(0, dbUrl.lastIndexOf('/')), "DROP DATABASE IF EXISTS " + database);
        // the stack outlives the tests: what they stored would otherwise stay in it, run after run
        try (MongoClient mongo = MongoClients.create(LocalServers.get("MONGO_URI"))) {
            mongo.getDatabase(env.get("MONGO_DATABASE")).drop();
        }
        StreamSettings streams = StreamSettings.fromVariables(env);
        try (Environment environment = streams.environment("e2e-cleanup")) {
            Topology.remove(environment, streams);
        }
    }
}
