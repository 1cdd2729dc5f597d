package com.mp3converter.mailer;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;

import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

/** Sends one message with Angus Mail and tells a permanent refusal (5xx) from a temporary one. */
public final class SmtpSender {
    private final SmtpSettings settings;
    private final Session session;

    public SmtpSender(SmtpSettings settings) {
        this.settings = settings;
        this.session = Session.getInstance(settings.properties());
    }

    public Session session() {
        return session;
    }

    /** The outcome of a failed send. */
    public static final class SendException extends Exception {
        private final boolean permanent;

        SendException(String message, boolean permanent, Throwable cause) {
            super(message, cause);
            this.permanent = permanent;
        }

        public boolean permanent() {
            return permanent;
        }
    }

    /** Where a send goes, for its span. */
    public Attributes spanAttributes() {
        return Attributes.of(AttributeKey.stringKey("server.address"), settings.host(),
                AttributeKey.longKey("server.port"), (long) settings.port());
    }

    public void send(MimeMessage message) throws SendException {
        long started = System.nanoTime();
        try (Transport transport = session.getTransport()) {
            if (settings.username().isEmpty()) {
                transport.connect();
            } else {
                transport.connect(settings.username(), settings.password());
            }
            message.saveChanges();
            transport.sendMessage(message, message.getAllRecipients());
            MailerMetrics.smtpSend(Duration.ofNanos(System.nanoTime() - started), "sent");
        } catch (MessagingException e) {
            SendException failure = classify(e);
            MailerMetrics.smtpSend(Duration.ofNanos(System.nanoTime() - started),
                    failure.permanent() ? "refused" : "deferred");
            throw failure;
        }
    }

    static SendException classify(MessagingException e) {
        int code = replyCode(e);
        if (code >= 500 && code < 600) {
            return new SendException("the mail server refused the message permanently (" + code + "): " + e.getMessage(), true, e);
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof SocketTimeoutException || t instanceof UnknownHostException) {
                return new SendException("the mail server cannot be reached: " + t.getMessage(), false, e);
            }
        }
        return new SendException("sending failed for now" + (code > 0 ? " (" + code + ")" : "") + ": " + e.getMessage(), false, e);
    }

    private static int replyCode(MessagingException e) {
        for (Exception x = e; x != null; x = x instanceof MessagingException m ? m.getNextException() : null) {
            if (x instanceof SMTPAddressFailedException a) {
                return a.getReturnCode();
            }
            if (x instanceof SMTPSendFailedException s) {
                return s.getReturnCode();
            }
            if (x instanceof SendFailedException && x.getMessage() != null && x.getMessage().matches("^5\\d\\d.*")) {
                return Integer.parseInt(x.getMessage().substring(0, 3));
            }
        }
        return -1;
    }
}
