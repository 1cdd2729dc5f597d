package com.mp3converter.mailer;

import java.io.UnsupportedEncodingException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import com.mp3converter.common.events.Events;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

/**
 * The two mails: {@code job.done} (how to download it, with the exact curl commands, and until when)
 * and {@code job.failed} (what went wrong in plain words and what to do). Text and HTML alternatives,
 * UTF-8 throughout, a deterministic Message-ID per job outcome so a rare resend is recognisable.
 */
public final class MailComposer {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final Session session;
    private final String from;
    private final String publicUrl;

    public MailComposer(Session session, String from, String publicUrl) {
        this.session = session;
        this.from = from;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    /** The mail for an outcome of this kind ({@code job.done} or {@code job.failed}). */
    public MimeMessage compose(String kind, Events.JobOutcome outcome) throws MessagingException {
        return Events.JOB_DONE.equals(kind) ? ready(outcome) : failed(outcome);
    }

    MimeMessage ready(Events.JobOutcome event) throws MessagingException {
        Events.JobView job = event.job().linkedFrom(publicUrl);
        String mp3Name = mp3Name(job.sourceName());
        String login = "TOKEN=$(curl -fsS -X POST -u EMAIL:PASSWORD " + publicUrl + "/login)";
        String curl = "curl --output '" + mp3Name.replace("'", "'\\''") + "' -H \"Authorization: Bearer $TOKEN\" '"
                + job.links().get("download") + "'";
        String kept = job.mp3ExpiresAt() == null ? "" : "It is kept until " + WHEN.format(job.mp3ExpiresAt()) + ", then deleted.";
        String text = "Hello,\n\n"
                + "your MP3 of \"" + job.sourceName() + "\" is ready (" + String.format("%.1f", job.mp3().durationSeconds())
                + " s, " + job.mp3().bytes() + " bytes).\n\n"
                + "Job id:      " + job.jobId() + "\n"
                + "MP3 file id: " + job.mp3().fileId() + "\n\n"
                + "Download it: log in first, then fetch it with the token:\n\n"
                + "  " + login + "\n"
                + "  " + curl + "\n\n"
                + kept + "\n\n— mp3converter\n";
        String html = "<p>Hello,</p><p>your MP3 of <b>" + escape(job.sourceName()) + "</b> is ready ("
                + String.format("%.1f", job.mp3().durationSeconds()) + " s, " + job.mp3().bytes() + " bytes).</p>"
                + "<table><tr><td>Job id</td><td><code>" + job.jobId() + "</code></td></tr>"
                + "<tr><td>MP3 file id</td><td><code>" + job.mp3().fileId() + "</code></td></tr></table>"
                + "<p>Download it: log in first, then fetch it with the token:</p><pre>" + escape(login) + "\n"
                + escape(curl) + "</pre>"
                + "<p>" + kept + "</p><p>— mp3converter</p>";
        return message(event.owner(), "Your MP3 is ready: " + mp3Name, text, html, job.jobId(), Events.JOB_DONE);
    }

    MimeMessage failed(Events.JobOutcome event) throws MessagingException {
        Events.JobView job = event.job();
        String reason = job.error() == null ? "an unknown error" : job.error().message();
        String advice = advice(job.error() == null ? "" : job.error().code());
        String text = "Hello,\n\n"
                + "we could not turn \"" + job.sourceName() + "\" into an MP3.\n\n"
                + "What went wrong: " + reason + "\n\n"
                + "What you can do: " + advice + "\n\n"
                + "Job id: " + job.jobId() + "\n\n— mp3converter\n";
        String html = "<p>Hello,</p><p>we could not turn <b>" + escape(job.sourceName()) + "</b> into an MP3.</p>"
                + "<p><b>What went wrong:</b> " + escape(reason) + "</p>"
                + "<p><b>What you can do:</b> " + escape(advice) + "</p>"
                + "<p>Job id: <code>" + job.jobId() + "</code></p><p>— mp3converter</p>";
        return message(event.owner(), "We could not convert " + job.sourceName(), text, html, job.jobId(), Events.JOB_FAILED);
    }

    static String advice(String code) {
        return switch (code) {
            case "no-audio" -> "the video has no sound track; upload a video that has sound.";
            case "corrupt", "not-media" -> "the file looks damaged or incomplete; upload it again, or export it again from "
                    + "the program that made it.";
            case "unsupported" -> "convert the video to a common format (MP4 with AAC sound, say) and upload it again.";
            default -> "this was a problem on our side; upload the file again in a little while.";
        };
    }

    private MimeMessage message(Events.Owner owner, String subject, String text, String html, String jobId, String kind)
            throws MessagingException {
        MimeMessage message = new DeterministicIdMessage(session, "<" + jobId + "." + kind + "@mp3converter.com>");
        InternetAddress sender = new InternetAddress(from, true);
        if (sender.getPersonal() == null) {
            try {
                sender.setPersonal("mp3converter", "UTF-8");
            } catch (UnsupportedEncodingException e) {
                throw new MessagingException("bad from address", e);
            }
        }
        message.setFrom(sender);
        message.setRecipients(MimeMessage.RecipientType.TO, InternetAddress.parse(owner.email(), true));
        message.setSubject(subject, "UTF-8");
        message.setHeader("X-Mp3converter-Job", jobId);
        message.setHeader("X-Mp3converter-Kind", kind);
        MimeMultipart alternatives = new MimeMultipart("alternative");
        MimeBodyPart plain = new MimeBodyPart();
        plain.setText(text, "UTF-8", "plain");
        MimeBodyPart rich = new MimeBodyPart();
        rich.setText("<!doctype html><html><body>" + html + "</body></html>", "UTF-8", "html");
        alternatives.addBodyPart(plain);
        alternatives.addBodyPart(rich);
        message.setContent(alternatives);
        return message;
    }

    static String mp3Name(String sourceName) {
        int dot = sourceName.lastIndexOf('.');
        return (dot > 0 ? sourceName.substring(0, dot) : sourceName) + ".mp3";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Keeps our Message-ID: MimeMessage.saveChanges would otherwise make a new one for every send. */
    private static final class DeterministicIdMessage extends MimeMessage {
        private final String messageId;

        DeterministicIdMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }
}
