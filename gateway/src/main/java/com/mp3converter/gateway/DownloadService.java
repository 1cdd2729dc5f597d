package com.mp3converter.gateway;

import com.mp3converter.common.http.Problems;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobStore;
import com.mp3converter.common.token.TokenClaims;

import org.bson.types.ObjectId;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /download?fid=<mp3 id>}, as the tutorial's clients call it, but owner-only. */
public final class DownloadService implements HttpService {
    private final Caller caller;
    private final JobStore jobs;
    private final Mp3Sender mp3;

    public DownloadService(Caller caller, JobStore jobs, Mp3Sender mp3) {
        this.caller = caller;
        this.jobs = jobs;
        this.mp3 = mp3;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/download", this::download)
                .head("/download", this::download);
    }

    private void download(ServerRequest req, ServerResponse res) {
        TokenClaims claims = caller.claims(req);
        String fid = req.query().first("fid").orElseThrow(() -> Problems.badRequest("the query parameter 'fid' is required"));
        if (!ObjectId.isValid(fid)) {
            throw Problems.badRequest("'fid' must be the 24-hex-digit id of an MP3");
        }
        Job job = jobs.findByMp3(fid, claims.userId()).orElseThrow(() -> Problems.notFound("no MP3 " + fid));
        mp3.send(req, res, job);
    }
}
