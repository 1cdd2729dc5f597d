package com.mp3converter.gateway.jobs;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import com.mp3converter.common.stream.StreamSettings;

/**
 * New job ids that take the partitions of {@code mp3.videos} in turn. A job's partition is its id's hash
 * ({@link StreamSettings#videoPartitionOf}); random ids would spread a batch by chance (20 jobs over two transcoders
 * split 13 to 7 as often as not), these spread a replica's jobs evenly, so adding a transcoder adds its share.
 * Each replica starts its turn at random, so replicas do not all begin with the same partition.
 */
public final class JobIds implements Supplier<String> {
    private final StreamSettings streams;
    private final AtomicLong turn = new AtomicLong(ThreadLocalRandom.current().nextInt(1 << 16));

    public JobIds(StreamSettings streams) {
        this.streams = streams;
    }

    @Override
    public String get() {
        String partition = streams.videoPartition((int) Math.floorMod(turn.getAndIncrement(), (long) streams.videoPartitions()));
        while (true) {
            String id = UUID.randomUUID().toString();
            if (streams.videoPartitionOf(id).equals(partition)) {
                return id;
            }
        }
    }
}
