package com.mp3converter.gateway;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.ToLongFunction;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.mongo.Admissions;
import com.mp3converter.gateway.jobs.JobStore;

/**
 * What a user may upload now, the same for {@code POST /upload} and resumable uploads at {@code /files/}: the size
 * limit, the storage quota (jobs' files plus unfinished resumable uploads) and the jobs in flight; and the
 * conversion options both accept.
 */
public final class UploadPolicy {
    private static final Set<String> OPTIONS = Set.of("bitrate", "quality", "title", "artist", "cover", "loudness",
            "start", "end");
    private static final Set<String> COVERS = Set.of("auto", "frame", "none");
    private static final int MAX_TEXT_CHARS = 200;
    private static final double MIN_LUFS = -70;
    private static final double MAX_LUFS = -5;
    /** 100 hours: longer than any upload the size limit lets through. */
    private static final double MAX_SECONDS = 360_000;
    private static final Pattern CLOCK = Pattern.compile("(?:(?:(\\d{1,3}):)?(\\d{1,2}):)?(\\d{1,6}(?:\\.\\d{1,3})?)");
    private final Limits limits;
    private final Admissions admissions;
    private final JobStore jobs;
    private final ToLongFunction<String> unfinishedBytes;
    private final ToLongFunction<String> unfinishedUploads;

    /** Size limit and per-user quotas, from {@code gateway.upload} and {@code gateway.quota}. */
    public record Limits(long maxBytes, long maxBytesStoredPerUser, int maxJobsInFlightPerUser) {
    }

    /** How many bytes this upload may have, and the refusal when it sends more. */
    public record Allowance(long bytes, Supplier<ProblemException> exceeded) {
    }

    /** What an admitted upload is: its allowance, and the record it was admitted with. */
    public record Admitted<T>(Allowance allowance, T record) {
    }

    public UploadPolicy(Limits limits, JobStore jobs, ToLongFunction<String> unfinishedBytes,
                        ToLongFunction<String> unfinishedUploads, Admissions admissions) {
        this.limits = limits;
        this.admissions = admissions;
        this.jobs = jobs;
        this.unfinishedBytes = unfinishedBytes;
        this.unfinishedUploads = unfinishedUploads;
    }

    /**
     * Checks the limits and records the upload ({@code record}, e.g. its entry in {@code uploads}) in one turn of
     * the user's: uploads started at the same moment are counted one after the other, so none passes a limit that
     * another one reached.
     */
    public <T> Admitted<T> admit(String userId, long declared, Function<Allowance, T> record) {
        try {
            return admissions.exclusively(userId, () -> {
                Allowance allowance = allowance(userId, declared);
                return new Admitted<>(allowance, record.apply(allowance));
            });
        } catch (Admissions.Busy e) {
            throw new ProblemException(503, "busy", "Try again", "another upload of yours is being started; try again")
                    .header("Retry-After", "1");
        }
    }

    public long maxBytes() {
        return limits.maxBytes();
    }

    /**
     * The size limit, or less when the user's storage quota is nearer; enforced on the bytes received (a chunked
     * upload declares no length). Uploads running at once each see the stored total and what the others reserved.
     */
    Allowance allowance(String userId, long declared) {
        if (jobs.countInFlight(userId) + unfinishedUploads.applyAsLong(userId) >= limits.maxJobsInFlightPerUser()) {
            throw refused(429, "too-many-jobs", "Too many jobs in flight",
                    "you have " + limits.maxJobsInFlightPerUser()
                            + " jobs queued or converting or uploads unfinished; wait for some to finish")
                    .header("Retry-After", "30");
        }
        long stored = jobs.bytesStored(userId) + unfinishedBytes.applyAsLong(userId);
        long left = Math.max(0, limits.maxBytesStoredPerUser() - stored);
        Allowance allowance = left < limits.maxBytes()
                ? new Allowance(left, () -> refused(413, "quota-exceeded", "Storage quota exceeded",
                        "you store " + stored + " bytes; this upload would pass your quota of "
                                + limits.maxBytesStoredPerUser() + " bytes: delete old jobs first"))
                : new Allowance(limits.maxBytes(), () -> refused(413, "too-large", "Upload too large",
                        "the upload is larger than the limit of " + limits.maxBytes() + " bytes"));
        if (declared > allowance.bytes()) {
            throw allowance.exceeded().get();
        }
        return allowance;
    }

    /** One conversion option given as text: an integer in its range, or a refusal saying so. */
    private static int option(String name, String text) {
        boolean bitrate = name.equals("bitrate");
        int min = bitrate ? 32 : 0;
        int max = bitrate ? 320 : 9;
        try {
            int value = Integer.parseInt(text.trim());
            if (text.length() <= 64 && value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw refused(400, "bad-options", "Invalid " + name, "'" + name + "' must be an integer from " + min + " to " + max
                + (bitrate ? " (kb/s)" : " (LAME VBR quality, 0 best)"));
    }

    /**
     * The conversion options among these named values (a multipart form's fields, tus metadata); other names are
     * not options. A blank value is an option not given (as an HTML form sends an empty field); any other value
     * that is not valid is refused with words saying what would be.
     */
    public static Events.Options options(Map<String, String> values) {
        Integer bitrate = present(values, "bitrate") == null ? null : option("bitrate", values.get("bitrate"));
        Integer quality = present(values, "quality") == null ? null : option("quality", values.get("quality"));
        if (bitrate != null && quality != null) {
            throw refused(400, "bad-options", "Conflicting options", "give either 'bitrate' (CBR) or 'quality' (VBR), not both");
        }
        Double start = time(values, "start");
        Double end = time(values, "end");
        if (end != null && end <= (start == null ? 0 : start)) {
            throw badOption("end", "'end' must be after " + (start == null ? "the beginning" : "'start'")
                    + ": it is where the part to convert stops");
        }
        String cover = present(values, "cover");
        if (cover != null && !COVERS.contains(cover.toLowerCase(Locale.ROOT))) {
            throw badOption("cover", "'cover' must be auto (the file's own picture, else a frame of the video), frame "
                    + "(always a frame of the video) or none");
        }
        return new Events.Options(bitrate, quality, text(values, "title"), text(values, "artist"),
                cover == null ? null : cover.toLowerCase(Locale.ROOT), loudness(values), start, end);
    }

    /** The names {@link #options(Map)} reads. */
    public static boolean isOption(String name) {
        return OPTIONS.contains(name);
    }

    private static String present(Map<String, String> values, String name) {
        String value = values.get(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** A title or artist: at most {@value #MAX_TEXT_CHARS} characters, no control characters. */
    private static String text(Map<String, String> values, String name) {
        String value = present(values, name);
        if (value != null && (value.codePointCount(0, value.length()) > MAX_TEXT_CHARS
                || value.codePoints().anyMatch(Character::isISOControl))) {
            throw badOption(name, "'" + name + "' must be at most " + MAX_TEXT_CHARS
                    + " characters on one line");
        }
        return value;
    }

    private static Double loudness(Map<String, String> values) {
        String value = present(values, "loudness");
        if (value == null) {
            return null;
        }
        Double lufs = value.length() <= 16 && value.matches("[-\u2212]?\\d{1,3}(\\.\\d{1,2})?")
                ? Double.valueOf(value.replace('\u2212', '-')) : null;
        if (lufs == null || lufs < MIN_LUFS || lufs > MAX_LUFS) {
            throw badOption("loudness", "'loudness' must be a target in LUFS from " + (int) MIN_LUFS + " to "
                    + (int) MAX_LUFS + ", such as -16 (the podcast norm) or -14");
        }
        return lufs;
    }

    /** Seconds ({@code 90}, {@code 90.5}) or {@code [h:]mm:ss[.mmm]} ({@code 1:30}, {@code 01:02:03.250}). */
    private static Double time(Map<String, String> values, String name) {
        String value = present(values, name);
        if (value == null) {
            return null;
        }
        Matcher clock = CLOCK.matcher(value);
        if (value.length() <= 20 && clock.matches()) {
            long hours = clock.group(1) == null ? 0 : Long.parseLong(clock.group(1));
            long minutes = clock.group(2) == null ? 0 : Long.parseLong(clock.group(2));
            double seconds = Double.parseDouble(clock.group(3));
            boolean sexagesimal = (clock.group(2) == null || seconds < 60) && (clock.group(1) == null || minutes < 60);
            double total = hours * 3600 + minutes * 60 + seconds;
            if (sexagesimal && total <= MAX_SECONDS) {
                return Math.round(total * 1000) / 1000.0;
            }
        }
        throw badOption(name, "'" + name + "' must be a time in the file: seconds (90 or 90.5) or hh:mm:ss.mmm "
                + "(1:30 or 01:02:03.250)");
    }

    private static ProblemException badOption(String name, String detail) {
        return refused(400, "bad-options", "Invalid " + name, detail);
    }

    /** A refused upload, counted by its reason. */
    public static ProblemException refused(int status, String slug, String title, String detail) {
        GatewayMetrics.uploadRefused(slug);
        return new ProblemException(status, slug, title, detail);
    }
}
