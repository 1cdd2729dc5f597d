package com.mp3converter.systemtests;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.common.http.Json;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;
import com.mp3converter.transcoder.convert.Mp3Converter;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/** The tutorial's curl flow, exactly, against the four service jars; then the jobs API around it. */
class TutorialFlowIT {
    private static Platform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = Platform.start();
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @Test
    void loginUploadMailDownload() throws Exception {
        String email = platform.newUser("tutorial");
        String host = "http://127.0.0.1:" + platform.gateway.port;
        String token = curl("-X", "POST", host + "/login", "-u", email + ":" + Platform.PASSWORD);
        assertThat(token.split("\\.").length, is(3));

        Path video = copyAs(Sample.MP4_H264_AAC, "video.mkv");
        String accepted = curl("-X", "POST", "-F", "file=@./video.mkv", "-H", "Authorization: Bearer " + token,
                host + "/upload");
        String jobId = Json.MAPPER.readTree(accepted).get("jobId").asText();

        List<Mail> inbox = Platform.awaitJobMails(email, 1, Duration.ofSeconds(120));
        assertThat(inbox, hasSize(1));
        Mail mail = inbox.getFirst();
        assertThat("no name the user chose in the subject", mail.subject(), is("Your MP3 is ready"));
        assertThat(mail.jobId(), is(jobId));
        assertThat(mail.messageId(), is("<" + jobId + ".job.done@mp3converter.com>"));
        assertThat(mail.text(), containsString("/download?fid=" + mail.mp3FileId()));
        assertThat(mail.html(), containsString(jobId));

        Path out = video.resolveSibling("out.mp3");
        curl("--output", out.toString(), "-X", "GET", "-H", "Authorization: Bearer " + token,
                host + "/download?fid=" + mail.mp3FileId());
        assertThat(Mp3Converter.durationOf(out), closeTo(Sample.MP4_H264_AAC.durationSeconds(), 0.15));
        assertTheMailsCommandsWorkWhenPasted(mail, email, video.resolveSibling("video.mp3"));

        JsonNode job = platform.job(token, jobId);
        assertThat(job.get("state").asText(), is("DONE"));
        assertThat(job.get("mp3").get("fileId").asText(), is(mail.mp3FileId()));
        Thread.sleep(1500);
        assertThat("exactly one mail per outcome", Platform.jobMails(email), hasSize(1));
        assertThat(platform.job(token, jobId).has("notifiedAt"), is(true));
    }

    @Test
    void jobsApiEventsRangesAndOwnership() throws Exception {
        String owner = platform.newUser("owner");
        String token = platform.login(owner);
        String other = platform.login(platform.newUser("other"));
        String jobId = upload(token, Sample.AVI_MPEG4_MP3, "Idempotency-Key", "key-1");
        assertThat("the same Idempotency-Key gives the same job",
                upload(token, Sample.AVI_MPEG4_MP3, "Idempotency-Key", "key-1"), is(jobId));

        List<String> events = new ArrayList<>();
        HttpResponse<java.util.stream.Stream<String>> sse = Platform.HTTP.send(HttpRequest.newBuilder(
                platform.gateway("/jobs/" + jobId + "/events")).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(sse.headers().firstValue("content-type").orElse(""), startsWith("text/event-stream"));
        sse.body().filter(line -> line.startsWith("event:")).forEach(events::add);
        assertThat(events.getLast(), is("event: end"));
        JsonNode job = platform.job(token, jobId);
        assertThat(job.get("state").asText(), is("DONE"));
        String fid = job.get("mp3").get("fileId").asText();
        long size = job.get("mp3").get("bytes").asLong();

        HttpResponse<byte[]> whole = get("/jobs/" + jobId + "/mp3", token, null);
        assertThat(whole.statusCode(), is(200));
        assertThat((long) whole.body().length, is(size));
        assertThat(whole.headers().firstValue("content-type").get(), is("audio/mpeg"));
        assertThat(whole.headers().firstValue("content-disposition").get(),
                containsString("filename=\"avi-mpeg4-mp3-stereo-48k-3s.mp3\""));
        String etag = whole.headers().firstValue("etag").get();
        HttpResponse<byte[]> part = get("/download?fid=" + fid, token, "bytes=10-19");
        assertThat(part.statusCode(), is(206));
        assertThat(part.headers().firstValue("content-range").get(), is("bytes 10-19/" + size));
        assertThat(new String(part.body(), StandardCharsets.ISO_8859_1),
                is(new String(whole.body(), 10, 10, StandardCharsets.ISO_8859_1)));
        assertThat(get("/download?fid=" + fid, token, "bytes=" + (size + 5) + "-").statusCode(), is(416));
        HttpResponse<byte[]> notModified = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/download?fid=" + fid))
                .header("Authorization", "Bearer " + token).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(notModified.statusCode(), is(304));

        assertThat("someone else's job", get("/jobs/" + jobId, other, null).statusCode(), is(404));
        assertThat("someone else's MP3", get("/download?fid=" + fid, other, null).statusCode(), is(404));
        assertThat("someone else's MP3", get("/jobs/" + jobId + "/mp3", other, null).statusCode(), is(404));
        JsonNode list = Json.MAPPER.readTree(get("/jobs?limit=5", token, null).body());
        assertThat(list.get("items").get(0).get("jobId").asText(), is(jobId));

        HttpResponse<String> deleted = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/jobs/" + jobId))
                .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode(), is(204));
        assertThat(get("/jobs/" + jobId, token, null).statusCode(), is(404));
        assertThat(get("/download?fid=" + fid, token, null).statusCode(), is(404));
    }

    @Test
    void theOptionsShapeTheMp3AndABadOneIsRefusedInWords() throws Exception {
        String token = platform.login(platform.newUser("options"));
        String jobId = Json.MAPPER.readTree(curl("-X", "POST", "-F", "file=@" + TestMedia.path(Sample.MP4_TAGGED_COVER_CHAPTERS),
                "-F", "artist=Ana Ortiz", "-F", "cover=frame", "-F", "start=2", "-F", "end=0:05.000",
                "-H", "Authorization: Bearer " + token, platform.gateway("/upload").toString())).get("jobId").asText();
        JsonNode job = platform.awaitFinished(token, jobId, Duration.ofSeconds(90));
        assertThat(job.toString(), job.get("state").asText(), is("DONE"));
        assertThat(job.get("options").get("start").asDouble(), is(2.0));
        Path out = platform.dir.resolve("options.mp3");
        curl("--output", out.toString(), "-H", "Authorization: Bearer " + token, platform.gateway("/jobs/" + jobId + "/mp3").toString());
        assertThat(Mp3Converter.durationOf(out), closeTo(3.0, 0.05));
        try (var mp3 = new org.bytedeco.javacv.FFmpegFrameGrabber(out.toFile())) {
            mp3.start();
            assertThat(mp3.getMetadata().get("artist"), is("Ana Ortiz"));
            assertThat("the source's own title", mp3.getMetadata().get("title"), is(com.mp3converter.testmedia.SourceTags.TITLE));
            assertThat("the chapters that overlap 2 s .. 5 s", mp3.getFormatContext().nb_chapters(), is(2));
        }

        HttpResponse<byte[]> refused = Platform.HTTP.send(HttpRequest.newBuilder(platform.gateway("/upload"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString("--b\r\nContent-Disposition: form-data; name=\"loudness\"\r\n\r\n"
                        + "very loud\r\n--b--\r\n")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(refused.statusCode(), is(400));
        assertThat(new String(refused.body(), StandardCharsets.UTF_8), containsString("'loudness' must be a target in LUFS"));
    }

    @Test
    void aVideoWithoutAudioFailsWithAClearMail() throws Exception {
        String email = platform.newUser("silent");
        String token = platform.login(email);
        failed(token, Sample.MP4_NO_AUDIO, "no-audio");
        Mail mail = Platform.awaitJobMails(email, 1, Duration.ofSeconds(60)).getFirst();
        assertThat(mail.subject(), is("We could not convert your file"));
        assertThat(mail.text(), containsString(Sample.MP4_NO_AUDIO.fileName()));
        assertThat(mail.text(), containsString("no audio stream"));
        assertThat(mail.text(), containsString("upload a video that has sound"));
        Thread.sleep(1000);
        assertThat(Platform.jobMails(email), hasSize(1));
    }

    /** Uploads the sample and waits for its job to fail with this error code. */
    private JsonNode failed(String token, Sample sample, String code) throws Exception {
        JsonNode job = platform.awaitFinished(token, upload(token, sample), Duration.ofSeconds(90));
        assertThat(job.toString(), job.get("state").asText(), is("FAILED"));
        assertThat(job.get("error").get("code").asText(), is(code));
        return job;
    }

    /** The mail's two lines (log in, download), pasted into a shell with the credentials filled in, fetch the MP3. */
    private static void assertTheMailsCommandsWorkWhenPasted(Mail mail, String email, Path expected) throws Exception {
        List<String> pasted = mail.text().lines().map(String::strip)
                .filter(line -> line.startsWith("TOKEN=") || line.startsWith("curl ")).toList();
        assertThat(mail.text(), pasted, hasSize(2));
        String script = String.join("\n", pasted).replace("EMAIL:PASSWORD", "'" + email + ":" + Platform.PASSWORD + "'");
        Process shell = new ProcessBuilder("bash", "-euc", script).directory(platform.dir.toFile())
                .redirectErrorStream(true).start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(script + "\n" + output, shell.waitFor(), is(0));
        assertThat(Mp3Converter.durationOf(expected), closeTo(Sample.MP4_H264_AAC.durationSeconds(), 0.15));
    }

    @Test
    void aDamagedFileFailsInPlainWordsWithNoPathOrLibraryHint() throws Exception {
        String email = platform.newUser("damaged");
        String token = platform.login(email);
        JsonNode job = failed(token, Sample.TRUNCATED_3GP, "corrupt");
        Mail mail = Platform.awaitJobMails(email, 1, Duration.ofSeconds(60)).getFirst();
        for (String words : List.of(job.get("error").get("message").asText(), mail.text())) {
            for (String hint : List.of(platform.dir.toString(), "/tmp/", "job-", ".local", "avformat", "()", "setFormat",
                    "error -", "Exception")) {
                assertThat(words, not(containsString(hint)));
            }
        }
        assertThat(job.get("error").get("message").asText(), containsString("damaged"));
    }

    private HttpResponse<byte[]> get(String path, String token, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.gateway(path)).header("Authorization", "Bearer " + token);
        if (range != null) {
            request.header("Range", range);
        }
        return Platform.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private String upload(String token, Sample sample, String... headers) throws Exception {
        List<String> args = new ArrayList<>(List.of("-X", "POST", "-F",
                "file=@" + TestMedia.path(sample), "-H", "Authorization: Bearer " + token));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            args.add("-H");
            args.add(headers[i] + ": " + headers[i + 1]);
        }
        args.add(platform.gateway("/upload").toString());
        return Json.MAPPER.readTree(curl(args.toArray(String[]::new))).get("jobId").asText();
    }

    private Path copyAs(Sample sample, String name) throws IOException {
        Path target = platform.dir.resolve(name);
        Files.copy(TestMedia.path(sample), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /** Runs curl in the platform's directory (so {@code file=@./video.mkv} works) and returns its output. */
    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--fail-with-body", "--max-time", "60"));
        command.addAll(List.of(args));
        Process curl = new ProcessBuilder(command).directory(platform.dir.toFile()).redirectErrorStream(true).start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (curl.waitFor() != 0) {
            throw new AssertionError("curl " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }
}
