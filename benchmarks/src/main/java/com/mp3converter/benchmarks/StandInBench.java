package com.mp3converter.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import org.bson.types.ObjectId;

/**
 * {@code bench standin}: the MongoDB stand-in through a long use, against mongo-java-server's own H2 backend
 * (the reference) started with the same JVM options. Both get the same service traffic ({@link ServiceTraffic}:
 * jobs with a video written, read and deleted and an MP3 kept), step by step, alternating which goes first; after
 * every step each query the services make is timed (median of several), and the stand-in's data file, live data
 * and RSS are read. Results:
 * <ul>
 * <li>{@code standin_query_growth.SIDE.QUERY}: the query's time after the last step ÷ before the first
 * (1 = flat as the collections grow);</li>
 * <li>{@code standin_query_ms.SIDE.QUERY}: its time after the last step;</li>
 * <li>{@code standin_file_mb}, {@code standin_live_mb}, {@code standin_rss_mb}: per side after the last step,
 * and {@code standin_file_peak_mb} the largest file seen;</li>
 * <li>{@code standin_job_s.SIDE}: seconds per job of the traffic in the first and the last step.</li>
 * </ul>
 * Usage: bench standin [steps=6] [jobs per step=50] [video MiB=8] [MP3 KiB=2048] [--jvm="OPTIONS": both
 * stand-ins' JVM options instead of the stack's] [--ours-only: no reference, to compare ours under other options]
 * [--profile: a JFR recording of each stand-in, kept in .local/bench]
 */
final class StandInBench {
    private static final String DATABASE = "bench_standin";
    private static final int USERS = 5;
    private static final int REPEATS = 15;
    private static final long SMALL_MP3 = 50 * 1024;

    private StandInBench() {
    }

    /** One stand-in with its traffic and what was measured on it. */
    private static final class Side {
        final StandInProcess process;
        final ServiceTraffic traffic;
        final MongoClient client;
        final List<ServiceTraffic.Done> done = new ArrayList<>();
        final Map<String, List<Double>> queryMs = new LinkedHashMap<>();
        final List<Double> jobSeconds = new ArrayList<>();
        ServiceTraffic.Done small;
        double peakFileMb;

        Side(StandInProcess process) {
            this.process = process;
            this.traffic = new ServiceTraffic(process.uri(), DATABASE);
            this.client = MongoClients.create(process.uri());
        }
    }

    static void run(Path root, Results results, List<String> args) throws Exception {
        boolean profile = args.remove("--profile");
        boolean oursOnly = args.remove("--ours-only");
        List<String> jvm = new ArrayList<>(StandInProcess.stackJvmOptions(root));
        for (String arg : List.copyOf(args)) {
            if (arg.startsWith("--jvm=")) {
                jvm = new ArrayList<>(List.of(arg.substring("--jvm=".length()).split(" ")));
                args.remove(arg);
            }
        }
        int steps = args.size() > 0 ? Integer.parseInt(args.get(0)) : 6;
        int jobsPerStep = args.size() > 1 ? Integer.parseInt(args.get(1)) : 50;
        long videoBytes = (args.size() > 2 ? Long.parseLong(args.get(2)) : 8) << 20;
        long mp3Bytes = (args.size() > 3 ? Long.parseLong(args.get(3)) : 2048) << 10;
        Path dir = Files.createDirectories(root.resolve(".local/bench/standin-" + UUID.randomUUID().toString().substring(0, 8)));
        if (profile) {
            jvm.add("-XX:StartFlightRecording=settings=profile,filename=" + dir + "/");
        }
        System.out.printf("%d steps of %d jobs (video %d MiB written, read, deleted; MP3 %d KiB kept), JVM %s%n", steps,
                jobsPerStep, videoBytes >> 20, mp3Bytes >> 10, jvm);
        List<Side> sides = new ArrayList<>();
        try {
            sides.add(new Side(StandInProcess.ours(root, dir, jvm)));
            if (!oursOnly) {
                sides.add(new Side(StandInProcess.plain(dir, jvm)));
            }
            for (Side side : sides) {
                side.small = side.traffic.job("user-0", SMALL_MP3, SMALL_MP3);
                for (int warmUp = 0; warmUp < 3; warmUp++) {
                    measure(side, videoBytes);
                }
                side.queryMs.clear();
                measure(side, videoBytes);
            }
            printRow(sides, 0);
            for (int step = 1; step <= steps; step++) {
                for (int i = 0; i < sides.size(); i++) {
                    Side side = sides.get((i + step) % sides.size());
                    long start = System.nanoTime();
                    for (int j = 0; j < jobsPerStep; j++) {
                        side.done.add(side.traffic.job("user-" + (j % USERS), videoBytes, mp3Bytes));
                    }
                    side.jobSeconds.add((System.nanoTime() - start) / 1e9 / jobsPerStep);
                }
                for (int i = 0; i < sides.size(); i++) {
                    measure(sides.get((i + step) % sides.size()), videoBytes);
                }
                printRow(sides, step);
            }
            record(results, sides);
        } finally {
            for (Side side : sides) {
                side.traffic.drop();
                side.traffic.close();
                side.client.close();
                side.process.close();
                Files.deleteIfExists(side.process.file);
            }
            if (profile) {
                System.out.println("JFR recordings of the stand-ins: " + dir);
            }
        }
    }

    /** Each query the services make, timed (median of {@link #REPEATS} after two not counted). */
    private static void measure(Side side, long videoBytes) throws Exception {
        ServiceTraffic t = side.traffic;
        Random random = new Random(side.done.size());
        ServiceTraffic.Done any = side.done.isEmpty() ? side.small : side.done.get(random.nextInt(side.done.size()));
        time(side, "job by id", () -> t.jobs.find(any.jobId()).orElseThrow());
        time(side, "job by mp3.fileId", () -> t.jobs.findByMp3(any.mp3FileId(), any.userId()).orElseThrow());
        time(side, "user's jobs page", () -> t.jobs.list(any.userId(), 0, 20));
        time(side, "user's job count", () -> t.jobs.count(any.userId()));
        time(side, "outbox pending", () -> t.pending("video"));
        time(side, "conversion claim", () -> t.claimConversion(UUID.randomUUID().toString()));
        time(side, "50 KB download", () -> t.download(side.small.mp3FileId()));
        ObjectId[] video = new ObjectId[1];
        timeAround(side, "video read", () -> t.writeVideo(video[0] = new ObjectId(), videoBytes),
                () -> t.readVideo(video[0]), () -> t.deleteVideo(video[0]));
        ObjectId[] mp3 = new ObjectId[1];
        timeAround(side, "1 MiB MP3 write", () -> mp3[0] = new ObjectId(), () -> t.writeMp3(mp3[0], 1 << 20),
                () -> t.deleteMp3(mp3[0].toHexString()));
        StoreFigures figures = StoreFigures.of(side.client);
        side.peakFileMb = Math.max(side.peakFileMb, figures.fileMb());
        side.queryMs.computeIfAbsent("file MB", k -> new ArrayList<>()).add(figures.fileMb());
        side.queryMs.computeIfAbsent("live MB", k -> new ArrayList<>()).add(figures.liveMb());
        side.queryMs.computeIfAbsent("RSS MB", k -> new ArrayList<>()).add(side.process.rssMib());
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static void time(Side side, String query, Step step) throws Exception {
        timeAround(side, query, () -> { }, step, () -> { });
    }

    private static void timeAround(Side side, String query, Step before, Step timed, Step after) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < REPEATS + 2; i++) {
            before.run();
            long start = System.nanoTime();
            timed.run();
            double elapsed = (System.nanoTime() - start) / 1e6;
            after.run();
            if (i >= 2) {
                ms.add(elapsed);
            }
        }
        side.queryMs.computeIfAbsent(query, k -> new ArrayList<>()).add(Stats.of(ms).median());
    }

    private static void printRow(List<Side> sides, int step) {
        for (Side side : sides) {
            StringBuilder row = new StringBuilder(String.format("step %d %-5s %4d jobs", step, side.process.name, side.done.size()));
            side.queryMs.forEach((query, values) -> row.append(String.format(" | %s %.2f", query, values.getLast())));
            if (!side.jobSeconds.isEmpty()) {
                row.append(String.format(" | %.3f s/job", side.jobSeconds.getLast()));
            }
            System.out.println(row);
        }
    }

    private static void record(Results results, List<Side> sides) throws Exception {
        Map<String, Object> growth = new LinkedHashMap<>();
        Map<String, Object> last = new LinkedHashMap<>();
        Map<String, Object> file = new LinkedHashMap<>();
        Map<String, Object> peak = new LinkedHashMap<>();
        Map<String, Object> live = new LinkedHashMap<>();
        Map<String, Object> rss = new LinkedHashMap<>();
        Map<String, Object> jobSeconds = new LinkedHashMap<>();
        for (Side side : sides) {
            Map<String, Object> g = new LinkedHashMap<>();
            Map<String, Object> l = new LinkedHashMap<>();
            side.queryMs.forEach((query, values) -> {
                if (!query.endsWith("MB")) {
                    g.put(query, Stats.round(values.getLast() / values.getFirst()));
                    l.put(query, Stats.round(values.getLast()));
                }
            });
            growth.put(side.process.name, g);
            last.put(side.process.name, l);
            file.put(side.process.name, Stats.round(side.queryMs.get("file MB").getLast()));
            peak.put(side.process.name, Stats.round(side.peakFileMb));
            live.put(side.process.name, Stats.round(side.queryMs.get("live MB").getLast()));
            rss.put(side.process.name, Stats.round(side.queryMs.get("RSS MB").getLast()));
            jobSeconds.put(side.process.name, Map.of("first", Stats.round(side.jobSeconds.getFirst()),
                    "last", Stats.round(side.jobSeconds.getLast())));
        }
        results.put("standin_query_growth", growth);
        results.put("standin_query_ms", last);
        results.put("standin_file_mb", file);
        results.put("standin_file_peak_mb", peak);
        results.put("standin_live_mb", live);
        results.put("standin_rss_mb", rss);
        results.put("standin_job_s", jobSeconds);
    }
}
