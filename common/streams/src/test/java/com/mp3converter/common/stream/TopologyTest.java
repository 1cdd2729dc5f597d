package com.mp3converter.common.stream;

import java.util.List;
import java.util.Map;

import com.mp3converter.common.testing.LocalServers;
import com.rabbitmq.stream.Environment;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The streams a platform declares, and their removal when it is done (the local stack's RabbitMQ). */
class TopologyTest {
    @Test
    void removeDeletesWhatDeclareCreatedAndSkipsWhatIsNotThere() {
        String suffix = LocalServers.unique();
        StreamSettings settings = StreamSettings.fromVariables(Map.of(
                "RABBITMQ_HOST", LocalServers.get("RABBITMQ_HOST"),
                "RABBITMQ_STREAM_DASH_PORT", LocalServers.get("RABBITMQ_STREAM_PORT"),
                "RABBITMQ_USERNAME", LocalServers.get("RABBITMQ_USERNAME"),
                "RABBITMQ_PASSWORD", LocalServers.get("RABBITMQ_PASSWORD"),
                "STREAMS_VIDEOS_NAME", "topology.videos." + suffix,
                "STREAMS_JOB_DASH_EVENTS_NAME", "topology.job-events." + suffix,
                "STREAMS_NOTIFICATIONS_NAME", "topology.notifications." + suffix));
        List<String> streams = List.of(settings.videoPartition(0), settings.videoPartition(settings.videoPartitions() - 1),
                settings.jobEvents(), settings.notifications());
        try (Environment environment = settings.environment("topology-test")) {
            Topology.declare(environment, settings);
            for (String stream : streams) {
                assertThat(stream + " declared", environment.streamExists(stream), is(true));
            }

            Topology.remove(environment, settings);
            for (String stream : streams) {
                assertThat(stream + " removed", environment.streamExists(stream), is(false));
            }
            Topology.remove(environment, settings); // nothing left: skipped, no error
        }
    }
}
