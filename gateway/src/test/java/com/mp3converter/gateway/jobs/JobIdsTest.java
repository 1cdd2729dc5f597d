package com.mp3converter.gateway.jobs;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.stream.StreamSettings;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** New job ids take the partitions in turn, so a batch spreads evenly over the transcoders. */
class JobIdsTest {
    @Test
    void twentyJobsOverFourPartitionsAreFiveEachAndEveryIdIsNew() {
        StreamSettings streams = StreamSettings.from(ServiceServer.config(Map.of("streams.videos.partitions", "4")));
        JobIds ids = new JobIds(streams);
        Map<String, Integer> perPartition = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String id = ids.get();
            seen.add(id);
            perPartition.merge(streams.videoPartitionOf(id), 1, Integer::sum);
        }
        assertThat(seen.size(), is(20));
        assertThat(perPartition.toString(), perPartition.values().stream().allMatch(n -> n == 5), is(true));
        assertThat(perPartition.size(), is(4));
    }
}
