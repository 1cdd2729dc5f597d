package com.mp3converter.common.mongo;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import com.mp3converter.common.tracing.Tracing;

import io.opentelemetry.instrumentation.mongo.v3_1.MongoTelemetry;

import org.bson.BsonValue;

/**
 * A client span per MongoDB command, from OpenTelemetry's MongoDB instrumentation, with the stable database
 * conventions ({@code db.system.name}, {@code db.collection.name}, {@code db.operation.name}). Commands on GridFS
 * chunk collections are left out: a 1 GiB upload is four thousand of them, and our {@code gridfs write} and
 * {@code gridfs read} spans already cover the file.
 */
final class MongoTracing implements CommandListener {
    static {
        if (System.getProperty("otel.semconv-stability.opt-in") == null
                && System.getenv("OTEL_SEMCONV_STABILITY_OPT_IN") == null) {
            System.setProperty("otel.semconv-stability.opt-in", "database");
        }
    }

    private final CommandListener traced = MongoTelemetry.create(Tracing.openTelemetry()).createCommandListener();
    private final Set<Integer> skipped = ConcurrentHashMap.newKeySet();

    @Override
    public void commandStarted(CommandStartedEvent event) {
        if (onChunks(event)) {
            skipped.add(event.getRequestId());
        } else {
            traced.commandStarted(event);
        }
    }

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        if (!skipped.remove(event.getRequestId())) {
            traced.commandSucceeded(event);
        }
    }

    @Override
    public void commandFailed(CommandFailedEvent event) {
        if (!skipped.remove(event.getRequestId())) {
            traced.commandFailed(event);
        }
    }

    private static boolean onChunks(CommandStartedEvent event) {
        if (event.getCommand().isEmpty()) {
            return false;
        }
        BsonValue target = event.getCommand().get(event.getCommand().getFirstKey());
        return target != null && target.isString() && target.asString().getValue().endsWith(".chunks");
    }
}
