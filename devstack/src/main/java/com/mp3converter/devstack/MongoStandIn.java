package com.mp3converter.devstack;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import com.mp3converter.devstack.store.StandInBackend;

import de.bwaldvogel.mongo.MongoServer;

/**
 * The MongoDB endpoint of the local stack when no real MongoDB is configured: mongo-java-server speaks the wire
 * protocol (GridFS works) over devstack's store ({@link StandInBackend}: one H2 MVStore file, the services'
 * indexes, compaction while it runs). It is a stand-in, not MongoDB.
 */
public final class MongoStandIn {
    private MongoStandIn() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = 27017;
        String file = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--file" -> file = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --port N --file PATH");
            }
        }
        MongoServer server = new MongoServer(new StandInBackend(file == null ? null : Path.of(file).toString()));
        server.bind(new InetSocketAddress("127.0.0.1", port));
        System.out.println("MongoDB STAND-IN (mongo-java-server) listening on 127.0.0.1:" + port
                + (file == null ? " in memory" : " with data in " + file));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            stopped.countDown();
        }));
        stopped.await();
    }
}
