package com.mp3converter.devstack.store;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import de.bwaldvogel.mongo.MongoServer;

/** A stand-in started by a test: its own data file, a free port, and the real MongoDB driver talking to it. */
final class RunningStandIn implements AutoCloseable {
    final Path file;
    final StandInBackend backend;
    final MongoClient client;
    private final MongoServer server;

    private RunningStandIn(Path file) {
        this.file = file;
        this.backend = new StandInBackend(file.toString());
        this.server = new MongoServer(backend);
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress address = server.getLocalAddress();
        this.client = MongoClients.create("mongodb://127.0.0.1:" + address.getPort());
    }

    static RunningStandIn open(Path file) {
        return new RunningStandIn(file);
    }

    MongoDatabase database(String name) {
        return client.getDatabase(name);
    }

    /** Stops this one and starts a new one on the same file. */
    RunningStandIn reopen() {
        close();
        return open(file);
    }

    @Override
    public void close() {
        client.close();
        server.shutdownNow();
    }
}
