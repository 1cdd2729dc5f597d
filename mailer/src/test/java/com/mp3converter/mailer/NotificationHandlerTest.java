package com.mp3converter.mailer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.MovableClock;
import com.mp3converter.common.testing.TcpProxy;
import com.mp3converter.mailer.webhooks.WebhookStore;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.OffsetSpecification;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * The mailer's handler against a real SMTP server (GreenMail), the local stack's MongoDB endpoint and RabbitMQ
 * (where its reports to the gateway go).
 */
class NotificationHandlerTest {
    private final String suffix = LocalServers.unique();
    private GreenMail smtp;
    private int smtpPort;
    private MongoConnection mongo;
    private DeliveryStore deliveries;
    private WebhookStore webhooks;
    private Environment environment;
    private StreamSettings streams;
    private ConfirmedProducer reports;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            smtpPort = probe.getLocalPort();
        }
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        Config config = ServiceServer.config(LocalServers.streamAndMongoConfig(suffix));
        mongo = MongoConnection.from(config);
        deliveries = new DeliveryStore(mongo, Duration.ofMinutes(1), "mailer-test", Clock.systemUTC());
        webhooks = new WebhookStore(mongo, Duration.ofMinutes(1), Clock.systemUTC());
        streams = StreamSettings.from(config);
        environment = streams.environment("mailer-test");
        Topology.declare(environment, streams);
        reports = ConfirmedProducer.unnamed(environment, streams.jobEvents(), Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        smtp.stop();
        reports.close();
        environment.deleteSuperStream(streams.videos());
        environment.deleteStream(streams.jobEvents());
        environment.deleteStream(streams.notifications());
        environment.close();
        mongo.database().drop();
        mongo.close();
    }

    private NotificationHandler handler(int port, Duration inPlace) {
        return handler(port, inPlace, deliveries);
    }

    private NotificationHandler handler(int port, Duration inPlace, DeliveryStore deliveries) {
        SmtpSettings settings = SmtpSettings.from(Config.just(ConfigSources.create(Map.of(
                "smtp.host", "127.0.0.1", "smtp.port", Integer.toString(port), "smtp.security", "none",
                "smtp.from", "mp3converter <noreply@mp3converter.test>", "smtp.connect-timeout", "PT1S"))).get("smtp"));
        SmtpSender sender = new SmtpSender(settings);
        MailComposer composer = new MailComposer(sender.session(), settings.from(), "https://mp3converter.com");
        return new NotificationHandler(deliveries, composer, sender,
                report -> reports.publish(io.opentelemetry.context.Context.current(), null, report),
                new NotificationHandler.Retry(inPlace, Duration.ofMillis(200), Duration.ofDays(2)), (type, outcome) -> { },
                new DeletedData(deliveries, webhooks)::forget, Clock.systemUTC());
    }

    private static EventMessage ready(String jobId, String email, String sourceName) {
        Instant finished = Instant.parse("2026-11-29T10:00:00Z");
        Events.Mp3 mp3 = new Events.Mp3("0123456789abcdef01234567", 54_321, 2.26);
        Instant expires = finished.plus(Duration.ofDays(7));
        Events.JobView view = new Events.JobView(jobId, "DONE", 1, sourceName, 1000, Events.Options.DEFAULT, 1,
                finished.minusSeconds(10), finished, finished.minusSeconds(9), finished, mp3, null, expires, null, null,
                null, Map.of("self", "/jobs/" + jobId, "download", "/download?fid=" + mp3.fileId()));
        return EventMessage.of(Events.JOB_DONE, jobId, 1, new Events.JobOutcome(jobId, new Events.Owner("u1", email),
                sourceName, "DONE", mp3, null, 1, finished.minusSeconds(10), finished, expires, view), Map.of());
    }

    private static EventMessage failed(String jobId, String email) {
        Events.Reason reason = new Events.Reason("no-audio", "the file has no audio stream");
        Instant now = Instant.now();
        Events.JobView view = new Events.JobView(jobId, "FAILED", 0.5, "silent.mp4", 1000, Events.Options.DEFAULT, 1,
                now, now, now, now, null, reason, null, null, null, null, Map.of("self", "/jobs/" + jobId));
        return EventMessage.of(Events.JOB_FAILED, jobId, 1, new Events.JobOutcome(jobId, new Events.Owner("u1", email),
                "silent.mp4", "FAILED", null, reason, 1, now, now, null, view), Map.of());
    }

    /** type:jobId of the reports on the job-events stream. */
    private List<String> reported() throws Exception {
        List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Consumer consumer = environment.consumerBuilder().stream(streams.jobEvents()).offset(OffsetSpecification.first())
                .messageHandler((context, message) -> {
                    EventMessage event = EventMessage.from(message);
                    seen.add(event.type() + ":" + event.jobId());
                }).build();
        Thread.sleep(1000);
        consumer.close();
        return new java.util.ArrayList<>(seen);
    }

    @Test
    void readyMailHasTextHtmlTheCurlCommandAndANonAsciiName() throws Exception {
        handler(smtpPort, Duration.ofSeconds(5)).handle(ready("job-1", "ada@example.com", "Ünïcødé clip.mkv"), "s", 0);
        MimeMessage[] received = smtp.getReceivedMessages();
        assertThat(received.length, is(1));
        MimeMessage mail = received[0];
        assertThat(mail.getSubject(), is("Your MP3 is ready"));
        assertThat(mail.getMessageID(), is("<job-1.job.done@mp3converter.com>"));
        assertThat(mail.getHeader("X-Mp3converter-Job")[0], is("job-1"));
        Multipart parts = (Multipart) mail.getContent();
        assertThat(parts.getCount(), is(2));
        String text = (String) parts.getBodyPart(0).getContent();
        String html = (String) parts.getBodyPart(1).getContent();
        assertThat(text, containsString("TOKEN=$(curl -fsS -X POST -u EMAIL:PASSWORD https://mp3converter.com/login)"));
        assertThat("the variable is in double quotes, so a pasted command sends the token", text,
                containsString("curl --output 'Ünïcødé clip.mp3' -H \"Authorization: Bearer $TOKEN\" "
                        + "'https://mp3converter.com/download?fid=0123456789abcdef01234567'"));
        assertThat(text, containsString("Job id:      job-1"));
        assertThat(text, containsString("kept until 2026-12-06 10:00 UTC"));
        assertThat(html, containsString("<b>Ünïcødé clip.mkv</b>"));
        assertThat("the gateway is told", reported(), is(List.of(Events.NOTIFICATION_SENT + ":job-1")));
    }

    @Test
    void failureMailSaysWhatWentWrongAndWhatToDo() throws Exception {
        handler(smtpPort, Duration.ofSeconds(5)).handle(failed("job-2", "bob@example.com"), "s", 0);
        MimeMessage mail = smtp.getReceivedMessages()[0];
        assertThat(mail.getSubject(), is("We could not convert your file"));
        String text = (String) ((Multipart) mail.getContent()).getBodyPart(0).getContent();
        assertThat(text, containsString("What went wrong: the file has no audio stream"));
        assertThat(text, containsString("upload a video that has sound"));
    }

    @Test
    void redeliveriesAndARestartMidBatchSendEachMailOnce() throws Exception {
        NotificationHandler first = handler(smtpPort, Duration.ofSeconds(5));
        for (int i = 0; i < 5; i++) {
            first.handle(ready("batch-" + i, "carol@example.com", "v" + i + ".mp4"), "s", i);
        }
        NotificationHandler restarted = handler(smtpPort, Duration.ofSeconds(5));
        for (int i = 0; i < 10; i++) { // the new process replays from an older offset
            restarted.handle(ready("batch-" + i, "carol@example.com", "v" + i + ".mp4"), "s", i);
        }
        assertThat(smtp.getReceivedMessages().length, is(10));
        List<String> ids = java.util.Arrays.stream(smtp.getReceivedMessages()).map(m -> {
            try {
                return m.getMessageID();
            } catch (jakarta.mail.MessagingException e) {
                throw new IllegalStateException(e);
            }
        }).distinct().toList();
        assertThat(ids.size(), is(10));
    }

    @Test
    void smtpDownForAWhileThenBackDeliversOnce() throws Exception {
        smtp.stop();
        Thread restart = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(3000);
                smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
                smtp.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        handler(smtpPort, Duration.ofSeconds(30)).handle(ready("late-1", "dan@example.com", "a.mp4"), "s", 0);
        restart.join();
        assertThat(smtp.getReceivedMessages().length, is(1));
        assertThat(deliveries.find("late-1", Events.JOB_DONE).get().state(), is(DeliveryStore.State.SENT));
    }

    @Test
    void smtpDownLongerThanTheInPlaceRetryIsDeferredAndSentByTheBackgroundPass() throws Exception {
        smtp.stop();
        NotificationHandler handler = handler(smtpPort, Duration.ofMillis(500));
        handler.handle(ready("deferred-1", "erin@example.com", "b.mp4"), "s", 0);
        assertThat(deliveries.find("deferred-1", Events.JOB_DONE).get().state(), is(DeliveryStore.State.DEFERRED));
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        Instant deadline = Instant.now().plusSeconds(20);
        while (smtp.getReceivedMessages().length == 0 && Instant.now().isBefore(deadline)) {
            handler.retryInBackground();
            Thread.sleep(200);
        }
        assertThat(smtp.getReceivedMessages().length, is(1));
        handler.handle(ready("deferred-1", "erin@example.com", "b.mp4"), "s", 0);
        handler.retryInBackground();
        assertThat(smtp.getReceivedMessages().length, is(1));
    }

    @Test
    void aMailThatWentOutWhileMongoDbWasAwayIsRecordedOnceItIsBackNotSentAgain() throws Exception {
        URI mongoUri = URI.create(LocalServers.get("MONGO_URI").replace("mongodb://", "http://"));
        try (TcpProxy mongoEndpoint = new TcpProxy(mongoUri.getHost(), mongoUri.getPort() < 0 ? 27017 : mongoUri.getPort());
             TcpProxy slowSmtp = new TcpProxy("127.0.0.1", smtpPort);
             MongoConnection throughProxy = new MongoConnection("mongodb://127.0.0.1:" + mongoEndpoint.port(),
                     mongo.database().getName())) {
            slowSmtp.delayConnections(Duration.ofSeconds(1)); // claimed with MongoDB there, sent after it went
            DeliveryStore store = new DeliveryStore(throughProxy, Duration.ofSeconds(2), "mailer-outage", Clock.systemUTC());
            assertThat("connected before the outage", store.find("outage-1", Events.JOB_DONE).isPresent(), is(false));
            NotificationHandler handler = handler(slowSmtp.port(), Duration.ofSeconds(30), store);
            Thread outage = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(400);
                    mongoEndpoint.stop();
                    Thread.sleep(7000); // past the driver's 5 s server selection, and the 2 s lease
                    mongoEndpoint.start();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            handler.handle(ready("outage-1", "ivy@example.com", "d.mp4"), "s", 0);
            outage.join();
            assertThat("one mail, not a second after the lease expired", smtp.getReceivedMessages().length, is(1));
            assertThat(deliveries.find("outage-1", Events.JOB_DONE).orElseThrow().state(), is(DeliveryStore.State.SENT));
        }
    }

    @Test
    void aPermanentRefusalIsRecordedAsUndeliverableNotRetried() throws Exception {
        try (ServerSocket refusing = new ServerSocket(0)) {
            Thread server = Thread.ofPlatform().daemon(true).start(() -> refuseRecipients(refusing));
            long started = System.nanoTime();
            handler(refusing.getLocalPort(), Duration.ofSeconds(30)).handle(ready("bounce-1", "nobody@invalid.example", "c.mp4"), "s", 0);
            assertThat("not retried for the in-place window", (System.nanoTime() - started) / 1e9 < 10, is(true));
            assertThat(deliveries.find("bounce-1", Events.JOB_DONE).get().state(), is(DeliveryStore.State.UNDELIVERABLE));
            assertThat(reported(), is(List.of(Events.NOTIFICATION_FAILED + ":bounce-1")));
            server.interrupt();
        }
    }

    @Test
    void aSenderThatStalledPastItsLeaseLosesTheMailToAnotherAndNeverBothSend() {
        MovableClock clock = new MovableClock(Instant.now());
        DeliveryStore first = new DeliveryStore(mongo, Duration.ofSeconds(30), "first", clock);
        DeliveryStore second = new DeliveryStore(mongo, Duration.ofSeconds(30), "second", clock);
        byte[] event = "{}".getBytes(StandardCharsets.UTF_8);
        DeliveryStore.Delivery stalled = first.claim("stall-1", Events.JOB_DONE, "u1", event).orElseThrow();
        assertThat("held by the first", second.claim("stall-1", Events.JOB_DONE, "u1", event).isPresent(), is(false));
        clock.move(Duration.ofSeconds(31));
        DeliveryStore.Delivery taken = second.claim("stall-1", Events.JOB_DONE, "u1", event).orElseThrow();
        assertThat("the attempt is counted", taken.attempts(), is(2));
        assertThat("the stalled sender learns it before its next try", first.renew(stalled), is(false));
        second.sent(taken);
        clock.move(Duration.ofMinutes(5));
        assertThat("a sent mail is never claimed again", first.claim("stall-1", Events.JOB_DONE, "u1", event).isPresent(), is(false));
        assertThat(first.find("stall-1", Events.JOB_DONE).orElseThrow().state(), is(DeliveryStore.State.SENT));
    }

    @Test
    void aDeletedJobsAndADeletedAccountsRecordsGo() throws Exception {
        NotificationHandler handler = handler(smtpPort, Duration.ofSeconds(5));
        handler.handle(ready("kept-1", "gus@example.com", "a.mp4"), "s", 0);
        handler.handle(ready("gone-1", "gus@example.com", "b.mp4"), "s", 1);
        WebhookStore.Endpoint endpoint = webhooks.create("u1", "https://example.com/hook", List.of(WebhookStore.JOB_DONE));
        webhooks.enqueue(endpoint, WebhookStore.JOB_DONE, "gone-1:job.done", "gone-1", "{}");
        handler.handle(EventMessage.of(Events.JOB_DELETED, "gone-1", "deleted",
                new Events.JobDeleted("gone-1", "u1", Instant.now()), Map.of()), "s", 2);
        assertThat(deliveries.find("gone-1", Events.JOB_DONE).isPresent(), is(false));
        assertThat(webhooks.deliveries(endpoint.id(), 10).size(), is(0));
        assertThat("another job's record stays", deliveries.find("kept-1", Events.JOB_DONE).isPresent(), is(true));
        handler.handle(EventMessage.of(Events.ACCOUNT_DELETED, "u1", "deleted",
                new Events.AccountDeleted("u1", Instant.now()), Map.of()), "s", 3);
        assertThat(deliveries.find("kept-1", Events.JOB_DONE).isPresent(), is(false));
        assertThat(webhooks.list("u1").size(), is(0));
        assertThat(mongo.database().getCollection("deliveries").countDocuments(), is(0L));
    }

    @Test
    void anAccountMailIsSentOnceWithItsLinkAndNoUserTextInTheSubject() throws Exception {
        NotificationHandler handler = handler(smtpPort, Duration.ofSeconds(5));
        MailComposer.AccountMail verify = new MailComposer.AccountMail("mail-1", MailComposer.VERIFY, "hal@example.com", "u9",
                "/#verify=abc", "/account/verify", "abc", Instant.parse("2026-12-06T10:00:00Z"));
        handler.accountMail("mail-1", MailComposer.VERIFY, "u9", Json.bytes(verify));
        handler.accountMail("mail-1", MailComposer.VERIFY, "u9", Json.bytes(verify));
        assertThat("a repeat sends nothing twice", smtp.getReceivedMessages().length, is(1));
        MimeMessage mail = smtp.getReceivedMessages()[0];
        assertThat(mail.getSubject(), is("Confirm your e-mail address for mp3converter"));
        String text = (String) ((Multipart) mail.getContent()).getBodyPart(0).getContent();
        assertThat(text, containsString("https://mp3converter.com/#verify=abc"));
        assertThat(text, containsString("-d '{\"token\":\"abc\"}' https://mp3converter.com/account/verify"));
        assertThat(text, containsString("You receive this mail because"));
        assertThat("no job is reported for an account mail", reported(), is(List.of()));
    }

    @Test
    void aMalformedEventIsSkipped() throws Exception {
        NotificationHandler handler = handler(smtpPort, Duration.ofSeconds(5));
        handler.handle(new EventMessage(Events.JOB_DONE, Events.VERSION, "x", "x", "{not json".getBytes(StandardCharsets.UTF_8), Map.of()), "s", 0);
        handler.handle(new EventMessage(Events.JOB_DONE, Events.VERSION, "x", "x", Json.bytes(Map.of("jobId", "no-owner")), Map.of()), "s", 1);
        handler.handle(new EventMessage("something.else", Events.VERSION, "x", "x", "{}".getBytes(StandardCharsets.UTF_8), Map.of()), "s", 2);
        handler.handle(new EventMessage(Events.JOB_DONE, Events.VERSION + 1, "x", "x", Json.bytes(Map.of("jobId", "future")), Map.of()), "s", 3);
        handler.handle(ready("after-bad", "fay@example.com", "d.mp4"), "s", 3);
        assertThat(smtp.getReceivedMessages().length, is(1));
    }

    /** A minimal SMTP peer that accepts the session and refuses every recipient with 550. */
    private static void refuseRecipients(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket client = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = client.getOutputStream();
                out.write("220 refusing.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String command = line.toUpperCase(java.util.Locale.ROOT);
                    String reply = command.startsWith("EHLO") || command.startsWith("HELO") ? "250 refusing.test"
                            : command.startsWith("MAIL FROM") ? "250 OK"
                            : command.startsWith("RCPT TO") ? "550 5.1.1 no such user here"
                            : command.startsWith("QUIT") ? "221 bye" : command.startsWith("RSET") ? "250 OK" : "503 bad sequence";
                    out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    if (command.startsWith("QUIT")) {
                        break;
                    }
                }
            } catch (java.io.IOException e) {
                return;
            }
        }
    }
}
