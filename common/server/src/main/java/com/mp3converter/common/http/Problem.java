package com.mp3converter.common.http;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;

/** An RFC 9457 problem detail; {@code type} is stable per kind of error, {@code extensions} add fields. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance,
                      @com.fasterxml.jackson.annotation.JsonIgnore Map<String, Object> extensions) {
    public static final String TYPE_BASE = "https://mp3converter.com/problems/";

    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem(TYPE_BASE + slug, title, status, detail, null, Map.of());
    }

    public Problem with(String key, Object value) {
        var copy = new java.util.LinkedHashMap<>(extensions);
        copy.put(key, value);
        return new Problem(type, title, status, detail, instance, copy);
    }

    public Problem at(String path) {
        return new Problem(type, title, status, detail, path, extensions);
    }

    @JsonAnyGetter
    public Map<String, Object> anyGetter() {
        return extensions;
    }
}
