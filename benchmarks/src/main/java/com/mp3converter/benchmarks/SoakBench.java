package com.mp3converter.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

/**
 * {@code bench soak [GiB=10]}: the figures a fresh stack gives, then a week's use in a few minutes, then the same
 * figures again. The use: rounds of one 10-minute 720p video (204 MB) and ten short clips uploaded by five users
 * through the running stack, each converted, its MP3 downloaded, three of every four videos' jobs deleted (their
 * MP3s with them), the clips' jobs kept, until GiB of video went in. Every five rounds the 50 KB download rate
 * ({@link DownloadBench}, 3 s), the stand-in's data file, live data and RSS are recorded. The figures, fresh
 * and after: the stack's services' RSS when idle, the stand-in's, {@link TranscodeBench}, {@link GatewayBench},
 * {@link DownloadBench}. At the end the soak's jobs are deleted. Results under {@code fresh}, {@code soak} and
 * {@code after_soak}.
 */
final class SoakBench {
    private static final int USERS = 5;
    private static final int CLIPS_PER_ROUND = 10;
    private static final int CHECKPOINT_ROUNDS = 5;

    private SoakBench() {
    }

    static void run(Path root, Results results, double gib) throws Exception {
        Stack stack = new Stack(root);
        figures(stack, results.within("fresh"));
        List<Job> left = new ArrayList<>();
        try {
            soak(stack, results.within("soak"), (long) (gib * (1L << 30)), left);
            figures(stack, results.within("after_soak"));
        } finally { // the jobs the soak kept stay for the benchmarks after it, then go
            for (Job job : left) {
                stack.deleteJob(job.token(), job.id());
            }
        }
    }

    /** A job of the soak's, as its owner reaches it. */
    private record Job(String token, String id) {
    }

    /** The services' idle RSS and the stand-in's state, then the transcoder, gateway and download benchmarks. */
    private static void figures(Stack stack, Results results) throws Exception {
        Thread.sleep(MemoryBench.SETTLE);
        results.put("services_idle_rss_mb", servicesRss(stack));
        results.put("standin", standIn(stack));
        TranscodeBench.run(stack.root, results, 3, 10);
        GatewayBench.run(stack, results, 1024, 3);
        DownloadBench.run(stack, results, 3);
        results.put("standin_after", standIn(stack));
    }

    /** The stack's own services' RSS, nothing running (#29: ≤ 150 each): what they keep after the work they did. */
    private static Map<String, Object> servicesRss(Stack stack) throws IOException {
        Map<String, Object> rss = new LinkedHashMap<>();
        for (String service : MemoryBench.SERVICES) {
            java.util.Optional<Long> pid = stack.pid(service);
            if (pid.isPresent()) {
                rss.put(service, Stats.round(Fleet.rssMib(pid.get(), "VmRSS")));
            }
        }
        System.out.printf("the stack's services, idle %d s: RSS %s MiB%n", MemoryBench.SETTLE.toSeconds(), rss);
        return rss;
    }

    /** The stand-in's data file and live data (dbStats), and its RSS when it runs here. */
    static Map<String, Object> standIn(Stack stack) throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        try (MongoClient client = MongoClients.create(stack.env.get("MONGO_URI"))) {
            figures.putAll(StoreFigures.of(client).json());
        }
        java.util.Optional<Long> pid = stack.pid("mongodb");
        if (pid.isPresent()) {
            figures.put("rss_mb", Stats.round(Fleet.rssMib(pid.get(), "VmRSS")));
            figures.put("peak_rss_mb", Stats.round(Fleet.rssMib(pid.get(), "VmHWM")));
        }
        return figures;
    }

    private static void soak(Stack stack, Results results, long bytes, List<Job> kept) throws Exception {
        Path video = TestMedia.longVideo(Duration.ofMinutes(10));
        Path clip = TestMedia.path(Sample.MP4_H264_AAC);
        long videoBytes = Files.size(video);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            tokens.add(stack.newUser());
        }
        DownloadBench.Target small = DownloadBench.Target.create(stack);
        small.jobs().forEach(job -> kept.add(new Job(job.token(), job.jobId())));
        List<Map<String, Object>> checkpoints = new ArrayList<>();
        long uploaded = 0;
        int jobs = 0;
        long start = System.nanoTime();
        System.out.printf("soak: %d MiB of video in rounds of one %d MiB video and %d clips, %d users%n", bytes >> 20,
                videoBytes >> 20, CLIPS_PER_ROUND, USERS);
        checkpoints.add(checkpoint(stack, small, 0, 0));
        for (int round = 1; uploaded < bytes; round++) {
            String owner = tokens.get(round % USERS);
            List<String> roundJobs = new ArrayList<>(List.of(stack.upload(owner, video)));
            for (int i = 0; i < CLIPS_PER_ROUND; i++) {
                roundJobs.add(stack.upload(tokens.get((round + i) % USERS), clip));
            }
            uploaded += videoBytes + CLIPS_PER_ROUND * Files.size(clip);
            for (int i = 0; i < roundJobs.size(); i++) {
                String token = i == 0 ? owner : tokens.get((round + i - 1) % USERS);
                JsonNode done = stack.awaitDone(token, roundJobs.get(i), Duration.ofMinutes(10));
                download(stack, token, roundJobs.get(i), done.path("mp3").path("bytes").asLong());
                if (i == 0 && round % 4 != 0) {
                    stack.deleteJob(token, roundJobs.get(i));
                } else {
                    kept.add(new Job(token, roundJobs.get(i)));
                }
            }
            jobs += roundJobs.size();
            if (round % CHECKPOINT_ROUNDS == 0 || uploaded >= bytes) {
                checkpoints.add(checkpoint(stack, small, uploaded, jobs));
            }
        }
        results.put("checkpoints", checkpoints);
        results.put("summary", Map.of("uploaded_gib", Stats.round(uploaded / (double) (1L << 30)), "jobs", jobs,
                "jobs_kept", kept.size(), "minutes", Stats.round((System.nanoTime() - start) / 60e9)));
    }

    private static Map<String, Object> checkpoint(Stack stack, DownloadBench.Target small, long uploaded, int jobs)
            throws Exception {
        DownloadBench.Rate rate = DownloadBench.measure(stack.gateway, small, Duration.ofSeconds(3));
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("uploaded_gib", Stats.round(uploaded / (double) (1L << 30)));
        figures.put("jobs", jobs);
        figures.put("download_50k_rps", Stats.round(rate.requestsPerSecond()));
        figures.put("download_50k_p99_ms", Stats.round(rate.p99Ms()));
        figures.putAll(standIn(stack));
        System.out.println("   " + figures);
        return figures;
    }

    private static void download(Stack stack, String token, String jobId, long bytes) throws Exception {
        HttpResponse<InputStream> mp3 = Stack.HTTP.send(HttpRequest.newBuilder(stack.gateway.resolve("/jobs/" + jobId + "/mp3"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = mp3.body()) {
            long received = in.transferTo(OutputStream.nullOutputStream());
            if (mp3.statusCode() != 200 || received != bytes) {
                throw new IllegalStateException("MP3 of " + jobId + ": " + mp3.statusCode() + ", " + received + " of " + bytes + " bytes");
            }
        }
    }
}
