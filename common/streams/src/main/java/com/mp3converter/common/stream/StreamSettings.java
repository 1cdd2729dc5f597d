package com.mp3converter.common.stream;

import java.time.Duration;
import java.util.Map;

import com.rabbitmq.stream.Address;
import com.rabbitmq.stream.ByteCapacity;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.EnvironmentBuilder;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;

/**
 * How to reach RabbitMQ Streams and the stream topology, from the {@code rabbitmq} and {@code streams}
 * config sections. One {@link Environment} per process.
 */
public record StreamSettings(String host, int port, String username, String password, boolean loadBalancer,
                             String videos, int videoPartitions, String jobEvents, String notifications,
                             Duration maxAge, ByteCapacity maxBytes) {

    /** From {@code rabbitmq.*} and {@code streams.*} (defaults: this library's mp3converter-defaults.yaml). */
    public static StreamSettings from(Config config) {
        Config rabbit = config.get("rabbitmq");
        Config streams = config.get("streams");
        return new StreamSettings(
                rabbit.get("host").asString().get(),
                rabbit.get("stream-port").asInt().get(),
                rabbit.get("username").asString().get(),
                rabbit.get("password").asString().get(),
                rabbit.get("load-balancer").asBoolean().get(),
                streams.get("videos.name").asString().get(),
                streams.get("videos.partitions").asInt().get(),
                streams.get("job-events.name").asString().get(),
                streams.get("notifications.name").asString().get(),
                streams.get("max-age").as(Duration.class).get(),
                ByteCapacity.from(streams.get("max-bytes").asString().get()));
    }

    /**
     * From variables as a service's environment holds them ({@code RABBITMQ_HOST}, {@code STREAMS_VIDEOS_NAME}, …)
     * over the defaults: a test's or a benchmark's platform, which does not run in that environment itself.
     */
    public static StreamSettings fromVariables(Map<String, String> variables) {
        Config.Builder config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(EnvironmentVariables.expand(variables)));
        ConfigSources.classpathAll("mp3converter-defaults.yaml").forEach(config::addSource);
        return from(config.build());
    }

    /** The process's one environment; it reconnects by itself when the broker comes back. */
    public Environment environment(String clientName) {
        return environment(clientName, 256);
    }

    /**
     * With {@code consumersPerConnection} = 1 every consumer has its own connection and so its own
     * dispatching thread: a handler that converts for minutes holds up only its own partition.
     */
    public Environment environment(String clientName, int consumersPerConnection) {
        EnvironmentBuilder builder = Environment.builder()
                .maxConsumersByConnection(consumersPerConnection)
                .host(host)
                .port(port)
                .username(username)
                .password(password)
                .id(clientName)
                .clientProperty("connection_name", clientName)
                .rpcTimeout(Duration.ofSeconds(10))
                .requestedHeartbeat(Duration.ofSeconds(20))
                .lazyInitialization(true);
        if (loadBalancer) {
            // behind a Kubernetes Service every node is reached through the same address
            Address entryPoint = new Address(host, port);
            builder.addressResolver(address -> entryPoint);
        }
        return builder.build();
    }

    /** Partition stream names of the videos super stream, as the broker names them. */
    public String videoPartition(int index) {
        return videos + "-" + index;
    }

    /** The partition of the videos super stream a job's events go to. */
    public String videoPartitionOf(String jobId) {
        return videoPartition(Math.floorMod(jobId.hashCode(), videoPartitions));
    }
}
