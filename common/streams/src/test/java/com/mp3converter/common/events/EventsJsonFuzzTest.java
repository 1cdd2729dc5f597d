package com.mp3converter.common.events;

import java.io.IOException;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.http.Json;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * Event bodies as the services read them off the streams (seeds in EventsJsonFuzzTestInputs). They carry what users
 * sent (file names, titles, options), so whatever a body holds, reading it gives the event or an IOException the
 * consumer skips as malformed, never another exception that would stop the consumer on it; an event read writes
 * out and reads back as itself.
 */
class EventsJsonFuzzTest {
    private static final List<Class<?>> READ = List.of(Events.VideoUploaded.class, Events.ConversionStarted.class,
            Events.ConversionProgress.class, Events.ConversionDone.class, Events.ConversionFailed.class,
            Events.NotificationSent.class, Events.NotificationFailed.class, Events.JobOutcome.class);

    @FuzzTest
    void anyEventBodyIsAnEventOrMalformed(FuzzedDataProvider data) throws IOException {
        Class<?> type = data.pickValue(READ);
        byte[] body = data.consumeRemainingAsBytes();
        Object event;
        try {
            event = Json.read(body, type);
        } catch (IOException malformed) {
            return;
        }
        if (event != null) {
            assertThat("written out and read back", Json.read(Json.bytes(event), type), is(event));
        }
    }
}
