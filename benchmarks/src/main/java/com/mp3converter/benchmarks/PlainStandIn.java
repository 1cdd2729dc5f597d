package com.mp3converter.benchmarks;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * The reference for {@code bench standin}: mongo-java-server with its own H2 backend as it comes (what the local
 * stack ran before devstack's store). Usage: PlainStandIn PORT FILE
 */
public final class PlainStandIn {
    private PlainStandIn() {
    }

    public static void main(String[] args) throws InterruptedException {
        MongoServer server = new MongoServer(new H2Backend(args[1]));
        server.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            stopped.countDown();
        }));
        stopped.await();
    }
}
