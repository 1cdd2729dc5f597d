package com.mp3converter.gateway;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mp3converter.common.http.Json;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /limits} (no token needed): what any client may check before it sends a file, and how long what it
 * makes is kept. The same values the uploads are held to.
 */
public final class LimitsService implements HttpService {
    /** What the media check lets through, as a file picker's {@code accept}: it reads the bytes, not the name. */
    private static final List<String> ACCEPT = List.of("video/*", "audio/*");

    private final Map<String, Object> limits = new LinkedHashMap<>();

    public LimitsService(UploadPolicy.Limits upload, Duration mp3Retention, Duration unfinishedUploadExpiry) {
        limits.put("maxUploadBytes", upload.maxBytes());
        limits.put("maxBytesStoredPerUser", upload.maxBytesStoredPerUser());
        limits.put("maxJobsInFlightPerUser", upload.maxJobsInFlightPerUser());
        limits.put("accept", ACCEPT);
        limits.put("mp3RetentionSeconds", mp3Retention.toSeconds());
        limits.put("unfinishedUploadExpirySeconds", unfinishedUploadExpiry.toSeconds());
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/limits", this::limits);
    }

    private void limits(ServerRequest req, ServerResponse res) {
        Json.send(res, limits);
    }
}
