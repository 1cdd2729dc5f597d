package com.mp3converter.mailer;

import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.Json;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

/**
 * The mails: {@code job.done} (how to download it, with the exact curl commands, and until when),
 * {@code job.failed} (what went wrong in plain words and what to do), and the account mails auth hands over
 * ({@code account.verify}, {@code account.reset}: a link and the curl command; {@code account.password-changed}).
 * Each says why its reader receives it; no subject carries text a user chose (a file name, an address). Text and
 * HTML alternatives, UTF-8 throughout, a deterministic Message-ID per mail so a rare resend is recognisable.
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

    /** An account mail auth hands over, as its endpoint reads it. */
    public record AccountMail(String id, String kind, String to, String userId, String link, String apiPath,
                              String token, Instant expiresAt) {
    }

    private static final String JOB_WHY = "You receive this mail because this file was uploaded to your mp3converter "
            + "account; every upload ends with one such mail.";
    public static final String VERIFY = "account.verify";
    public static final String RESET = "account.reset";
    public static final String PASSWORD_CHANGED = "account.password-changed";

    public static boolean isAccountMail(String kind) {
        return kind.startsWith("account.");
    }

    /** The mail of this kind from the event or account mail it was recorded with. */
    public MimeMessage compose(String kind, byte[] recorded) throws MessagingException, IOException {
        if (isAccountMail(kind)) {
            return account(Json.read(recorded, AccountMail.class));
        }
        Events.JobOutcome outcome = Json.read(recorded, Events.JobOutcome.class);
        return Events.JOB_DONE.equals(kind) ? ready(outcome) : failed(outcome);
    }

    MimeMessage account(AccountMail mail) throws MessagingException {
        String until = mail.expiresAt() == null ? "" : " It works once, until " + WHEN.format(mail.expiresAt()) + ".";
        return switch (mail.kind()) {
            case VERIFY -> accountMessage(mail, "Confirm your e-mail address for mp3converter",
                    "You receive this mail because this address was given to sign up at mp3converter. If that was not "
                            + "you, ignore it: nothing happens without the link.",
                    "To confirm the address and start converting, open this link:", "'{\"token\":\"" + mail.token() + "\"}'",
                    until);
            case RESET -> accountMessage(mail, "Choose a new password for mp3converter",
                    "You receive this mail because a new password was asked for the mp3converter account of this "
                            + "address. If that was not you, ignore it: your password stays as it is.",
                    "To choose a new password, open this link:",
                    "'{\"token\":\"" + mail.token() + "\",\"password\":\"NEW PASSWORD\"}'", until);
            case PASSWORD_CHANGED -> {
                String text = "Hello,\n\nthe password of your mp3converter account was changed just now, and every "
                        + "earlier sign-in was ended.\n\nYou receive this mail because it is your account. If you did not "
                        + "change it, choose a new password at once with \"Forgot your password?\" at " + publicUrl
                        + "/ and tell us.\n\n— mp3converter\n";
                yield message(mail.to(), "Your mp3converter password was changed", text,
                        "<p>" + escape(text).replace("\n\n", "</p><p>") + "</p>", mail.id(), mail.kind());
            }
            default -> throw new MessagingException("no template for account mail " + mail.kind());
        };
    }

    private MimeMessage accountMessage(AccountMail mail, String subject, String why, String open, String json,
                                       String until) throws MessagingException {
        String link = publicUrl + mail.link();
        String curl = "curl -fsS -X POST -H 'Content-Type: application/json' -d " + json + " " + publicUrl + mail.apiPath();
        String text = "Hello,\n\n" + open + "\n\n  " + link + "\n\nor with curl:\n\n  " + curl + "\n\n" + until.trim()
                + "\n\n" + why + "\n\n— mp3converter\n";
        String html = "<p>Hello,</p><p>" + escape(open) + "</p><p><a href=\"" + escape(link) + "\">" + escape(link)
                + "</a></p><p>or with curl:</p><pre>" + escape(curl) + "</pre><p>" + escape(until.trim()) + "</p><p>"
                + escape(why) + "</p><p>— mp3converter</p>";
        return message(mail.to(), subject, text, html, mail.id(), mail.kind());
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
                + kept + "\n\n" + JOB_WHY + "\n\n— mp3converter\n";
        String html = "<p>Hello,</p><p>your MP3 of <b>" + escape(job.sourceName()) + "</b> is ready ("
                + String.format("%.1f", job.mp3().durationSeconds()) + " s, " + job.mp3().bytes() + " bytes).</p>"
                + "<table><tr><td>Job id</td><td><code>" + job.jobId() + "</code></td></tr>"
                + "<tr><td>MP3 file id</td><td><code>" + job.mp3().fileId() + "</code></td></tr></table>"
                + "<p>Download it: log in first, then fetch it with the token:</p><pre>" + escape(login) + "\n"
                + escape(curl) + "</pre>"
                + "<p>" + kept + "</p><p>" + JOB_WHY + "</p><p>— mp3converter</p>";
        return message(event.owner().email(), "Your MP3 is ready", text, html, job.jobId(), Events.JOB_DONE);
    }

    MimeMessage failed(Events.JobOutcome event) throws MessagingException {
        Events.JobView job = event.job();
        String reason = job.error() == null ? "an unknown error" : job.error().message();
        String advice = advice(job.error() == null ? "" : job.error().code());
        String text = "Hello,\n\n"
                + "we could not turn \"" + job.sourceName() + "\" into an MP3.\n\n"
                + "What went wrong: " + reason + "\n\n"
                + "What you can do: " + advice + "\n\n"
                + "Job id: " + job.jobId() + "\n\n" + JOB_WHY + "\n\n— mp3converter\n";
        String html = "<p>Hello,</p><p>we could not turn <b>" + escape(job.sourceName()) + "</b> into an MP3.</p>"
                + "<p><b>What went wrong:</b> " + escape(reason) + "</p>"
                + "<p><b>What you can do:</b> " + escape(advice) + "</p>"
                + "<p>Job id: <code>" + job.jobId() + "</code></p><p>" + JOB_WHY + "</p><p>— mp3converter</p>";
        return message(event.owner().email(), "We could not convert your file", text, html, job.jobId(), Events.JOB_FAILED);
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

    private MimeMessage message(String to, String subject, String text, String html, String id, String kind)
            throws MessagingException {
        MimeMessage message = new DeterministicIdMessage(session, "<" + id + "." + kind + "@mp3converter.com>");
        InternetAddress sender = new InternetAddress(from, true);
        if (sender.getPersonal() == null) {
            try {
                sender.setPersonal("mp3converter", "UTF-8");
            } catch (UnsupportedEncodingException e) {
                throw new MessagingException("bad from address", e);
            }
        }
        message.setFrom(sender);
        message.setRecipients(MimeMessage.RecipientType.TO, InternetAddress.parse(to, true));
        message.setSubject(subject, "UTF-8");
        if (!isAccountMail(kind)) {
            message.setHeader("X-Mp3converter-Job", id);
        }
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
