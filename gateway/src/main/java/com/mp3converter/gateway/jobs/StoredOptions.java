package com.mp3converter.gateway.jobs;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;

import org.bson.Document;

/** A job's conversion options as the {@code jobs} and {@code uploads} collections store them: the event's fields. */
public final class StoredOptions {
    private StoredOptions() {
    }

    public static Document toDocument(Events.Options options) {
        return Json.MAPPER.convertValue(options, Document.class);
    }

    public static Events.Options from(Document options) {
        return options == null ? Events.Options.DEFAULT : Json.MAPPER.convertValue(options, Events.Options.class);
    }
}
