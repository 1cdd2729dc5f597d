package com.mp3converter.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.testing.ServiceProcess;
import com.rabbitmq.stream.Environment;

/**
 * Service JVMs a benchmark starts beside the running stack: the stack's servers and auth, but their own MongoDB
 * database and streams, so nothing the stack holds is in the way; closing the fleet stops them and removes that
 * database and those streams, so nothing measured here stays behind.
 */
final class Fleet implements AutoCloseable {
    final String id = UUID.randomUUID().toString().substring(0, 8);
    final Map<String, String> env;
    final Path logs;
    private final List<ServiceProcess> started = new ArrayList<>();

    Fleet(Stack stack) throws IOException {
        env = new HashMap<>(stack.env);
        env.put("MONGO_DATABASE", "bench_" + id);
        env.put("STREAMS_VIDEOS_NAME", "bench.videos." + id);
        env.put("STREAMS_JOB_DASH_EVENTS_NAME", "bench.job-events." + id);
        env.put("STREAMS_NOTIFICATIONS_NAME", "bench.notifications." + id);
        env.put("STREAMS_MAX_DASH_AGE", "PT1H");
        env.put("GATEWAY_REPLICA_DASH_NAME", "bench-gateway-" + id);
        logs = Files.createDirectories(stack.root.resolve(".local/bench/logs-" + id));
    }

    /** The service's JVM options as the image and the local stack start it (jvm/common.options, jvm/<service>.options). */
    static List<String> serviceJvm(String service) throws IOException {
        return ServiceProcess.jvmOptions(service);
    }

    /**
     * The image build's training run for its ahead-of-time cache: the service started without reachable backends,
     * answering its own health and metrics requests, then exiting; the cache file.
     */
    Path aotCache(String service) throws Exception {
        Path cache = logs.resolve(service + ".aot");
        Map<String, String> training = new HashMap<>(Map.of("SMTP_HOST", "training.invalid",
                "SMTP_FROM", "training@training.invalid", "AUTH_KEYS_DASH_DIR", logs.resolve("training-keys").toString(),
                "MONGO_URI", "mongodb://127.0.0.1:1", "RABBITMQ_STREAM_DASH_PORT", "1",
                "DB_URL", "jdbc:mariadb://127.0.0.1:1/auth", "INTERNAL_TOKEN", env.get("INTERNAL_TOKEN")));
        List<String> jvm = new ArrayList<>(serviceJvm(service));
        jvm.addAll(List.of("-XX:AOTCacheOutput=" + cache, "-Dmp3converter.aot-training=true"));
        ServiceProcess run = ServiceProcess.start(service, training, logs, jvm);
        if (!run.process().waitFor(3, TimeUnit.MINUTES) || !Files.isRegularFile(cache)) {
            throw new IllegalStateException(service + "'s training run wrote no AOT cache: " + run.tail());
        }
        return cache;
    }

    ServiceProcess start(String service, Map<String, String> extra, List<String> jvmOptions) throws IOException {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(extra);
        ServiceProcess process = ServiceProcess.start(service, all, logs, jvmOptions);
        started.add(process);
        return process;
    }

    /** The service as the image runs it (its JVM options), ready. */
    ServiceProcess startReady(String service, Map<String, String> extra) throws Exception {
        return startReady(service, extra, serviceJvm(service));
    }

    ServiceProcess startReady(String service, Map<String, String> extra, List<String> jvmOptions) throws Exception {
        return start(service, extra, jvmOptions).awaitReady(Duration.ofSeconds(90));
    }

    @Override
    public void close() throws InterruptedException {
        for (ServiceProcess process : started) {
            process.close();
        }
        try (MongoClient mongo = MongoClients.create(env.get("MONGO_URI"))) {
            mongo.getDatabase(env.get("MONGO_DATABASE")).drop();
        }
        StreamSettings streams = StreamSettings.fromVariables(env);
        try (Environment environment = streams.environment("bench-cleanup")) {
            Topology.remove(environment, streams);
        }
    }

    /** VmHWM (peak) or VmRSS (now) of a process, in MiB. */
    static double rssMib(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        throw new IllegalStateException("no " + field + " for process " + pid);
    }
}
