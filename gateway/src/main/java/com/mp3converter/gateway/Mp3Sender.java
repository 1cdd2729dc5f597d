package com.mp3converter.gateway;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.logging.Logger;

import com.mongodb.MongoGridFSException;
import com.mongodb.client.gridfs.GridFSDownloadStream;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.http.Slots;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.gateway.jobs.Job;

import org.bson.types.ObjectId;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Streams a job's MP3 from GridFS: {@code audio/mpeg}, {@code Content-Length}, a strong {@code ETag}
 * (the file never changes), {@code Range} (206 / 416), {@code If-None-Match} (304) and a
 * {@code Content-Disposition} with the original name and {@code .mp3}.
 */
public final class Mp3Sender {
    private static final Logger LOG = Logger.getLogger(Mp3Sender.class.getName());
    /** What is read ahead of the client per download: 1 MiB, besides the GridFS batch being read. */
    private static final int READ_AHEAD_BLOCKS = 4;
    private static final int BLOCK_BYTES = 256 * 1024;
    /**
     * GridFS chunks per round trip for a download: 1 MiB, held twice while the driver decodes it; with the read-ahead
     * about 3 MiB of heap a download, so the transfer cap's worth of downloads fits the heap (jvm/gateway.options).
     */
    private static final int CHUNKS_PER_BATCH = 4;
    private final MongoConnection mongo;
    private final OpenPerUser downloads;
    private final Transfers transfers;

    /** {@code maxPerUser}: how many MP3s one user may be downloading at once from this replica. */
    Mp3Sender(MongoConnection mongo, int maxPerUser, Transfers transfers) {
        this.mongo = mongo;
        this.transfers = transfers;
        this.downloads = new OpenPerUser(maxPerUser, () -> new ProblemException(429, "too-many-downloads",
                "Too many downloads", "you are downloading " + maxPerUser + " MP3s already; let one finish first")
                .header("Retry-After", "10"));
    }

    /** The job's MP3; 409 while it is not made yet, 410 once the retention deleted it. */
    public void send(ServerRequest req, ServerResponse res, Job job) {
        if (job.mp3ExpiredAt() != null) {
            throw new ProblemException(410, "mp3-expired", "MP3 expired",
                    "the MP3 of job " + job.id() + " was deleted at " + job.mp3ExpiredAt() + "; upload the video again");
        }
        if (job.mp3() == null) {
            throw new ProblemException(409, "not-ready", "MP3 not ready",
                    "job " + job.id() + " is " + job.state() + "; follow /jobs/" + job.id() + "/events");
        }
        GridFSDownloadStream in;
        try { // reads the file's record; its chunks are read as they are sent
            in = mongo.mp3s().openDownloadStream(new ObjectId(job.mp3().fileId())).batchSize(CHUNKS_PER_BATCH);
        } catch (MongoGridFSException e) {
            throw Problems.notFound("the MP3 of job " + job.id() + " has expired or was deleted");
        }
        try (in) {
            send(req, res, job, in);
        }
    }

    private void send(ServerRequest req, ServerResponse res, Job job, GridFSDownloadStream in) {
        long size = in.getGridFSFile().getLength();
        String etag = "\"" + job.mp3().fileId() + "\"";
        res.header(HeaderNames.ETAG, etag);
        res.header(HeaderNames.ACCEPT_RANGES, "bytes");
        res.header(HeaderNames.CACHE_CONTROL, "private, max-age=3600");
        if (req.headers().first(HeaderNames.IF_NONE_MATCH).filter(v -> v.contains(etag) || v.trim().equals("*")).isPresent()) {
            res.status(Status.NOT_MODIFIED_304);
            res.send();
            return;
        }
        Optional<ByteRange> range;
        try {
            boolean ifRangeMismatch = req.headers().first(HeaderNames.IF_RANGE).filter(v -> !v.equals(etag)).isPresent();
            range = ifRangeMismatch ? Optional.empty()
                    : ByteRange.parse(req.headers().first(HeaderNames.RANGE).orElse(null), size);
        } catch (ByteRange.Unsatisfiable e) {
            throw new ProblemException(416, "range-not-satisfiable", "Range not satisfiable",
                    "the MP3 has " + size + " bytes").header("Content-Range", "bytes */" + size);
        }
        String name = SourceNames.mp3Name(job.sourceName());
        res.header(HeaderNames.CONTENT_TYPE, "audio/mpeg");
        res.header(HeaderNames.CONTENT_DISPOSITION, contentDisposition(name));
        long start = range.map(ByteRange::start).orElse(0L);
        long length = range.map(ByteRange::length).orElse(size);
        if (range.isPresent()) {
            res.status(Status.PARTIAL_CONTENT_206);
            res.header(HeaderNames.CONTENT_RANGE, "bytes " + start + "-" + range.get().end() + "/" + size);
        }
        res.header(HeaderNames.CONTENT_LENGTH, Long.toString(length));
        if (req.prologue().method().text().equals("HEAD")) {
            res.send();
            return;
        }
        try (Slots.Slot slot = downloads.open(job.owner().userId()); Slots.Slot transfer = transfers.start();
             OutputStream out = res.outputStream()) {
            if (start > 0) {
                in.skip(start);
            }
            ReadAhead.copy(in, out, length, READ_AHEAD_BLOCKS, BLOCK_BYTES);
        } catch (IOException | MongoGridFSException e) {
            LOG.fine(() -> "download of " + job.mp3().fileId() + " ended early: " + e.getMessage());
        }
    }

    static String contentDisposition(String name) {
        String ascii = name.codePoints().map(c -> c < 0x20 || c > 0x7E || c == '"' || c == '\\' ? '_' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }
}
