package com.mp3converter.common.stream;

import java.util.logging.Logger;

import com.rabbitmq.stream.Constants;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.StreamCreator;
import com.rabbitmq.stream.StreamException;

/**
 * Declares the streams at start-up (never by hand): created when absent, left alone when present; and removes them
 * with everything in them, for a platform (a test's, a benchmark's) that is done.
 */
public final class Topology {
    private static final Logger LOG = Logger.getLogger(Topology.class.getName());

    private Topology() {
    }

    public static void declare(Environment environment, StreamSettings settings) {
        create(retained(environment, settings).name(settings.videos())
                .superStream().partitions(settings.videoPartitions()).creator(), settings.videos());
        create(retained(environment, settings).name(settings.jobEvents()), settings.jobEvents());
        create(retained(environment, settings).name(settings.notifications()), settings.notifications());
    }

    /** Deletes the streams and the super stream of these settings; those not there are skipped. */
    public static void remove(Environment environment, StreamSettings settings) {
        delete(() -> environment.deleteSuperStream(settings.videos()));
        delete(() -> environment.deleteStream(settings.jobEvents()));
        delete(() -> environment.deleteStream(settings.notifications()));
    }

    private static void delete(Runnable deletion) {
        try {
            deletion.run();
        } catch (StreamException e) {
            if (e.getCode() != Constants.RESPONSE_CODE_STREAM_DOES_NOT_EXIST) {
                throw e;
            }
        }
    }

    private static StreamCreator retained(Environment environment, StreamSettings settings) {
        return environment.streamCreator().maxAge(settings.maxAge()).maxLengthBytes(settings.maxBytes());
    }

    private static void create(StreamCreator creator, String name) {
        try {
            creator.create();
            LOG.info(() -> "created stream " + name);
        } catch (StreamException e) {
            if (e.getCode() != Constants.RESPONSE_CODE_STREAM_ALREADY_EXISTS) {
                throw e;
            }
        }
    }
}
