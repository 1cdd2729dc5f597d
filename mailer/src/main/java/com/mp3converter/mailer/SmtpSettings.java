package com.mp3converter.mailer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;

import io.helidon.config.Config;

/**
 * SMTP settings from {@code smtp.*}: host and from address are required (the service refuses to start
 * without them, naming the setting); security {@code none}, {@code starttls} or {@code smtps};
 * optional authentication with the password from config or a mounted file; connect/read/write timeouts.
 */
public record SmtpSettings(String host, int port, String security, String username, String password, String from,
                           Duration connectTimeout, Duration readTimeout, Duration writeTimeout) {

    public static SmtpSettings from(Config smtp) {
        String host = required(smtp, "host");
        String from = required(smtp, "from");
        String security = smtp.get("security").asString().orElse("starttls").toLowerCase(Locale.ROOT);
        if (!security.equals("none") && !security.equals("starttls") && !security.equals("smtps")) {
            throw new IllegalStateException("smtp.security must be none, starttls or smtps, not '" + security + "'");
        }
        String password = smtp.get("password").asString().orElse("");
        String passwordFile = smtp.get("password-file").asString().orElse("");
        if (password.isEmpty() && !passwordFile.isEmpty()) {
            try {
                password = Files.readString(Path.of(passwordFile)).strip();
            } catch (IOException e) {
                throw new IllegalStateException("smtp.password-file " + passwordFile + " cannot be read: " + e.getMessage());
            }
        }
        int defaultPort = security.equals("smtps") ? 465 : 587;
        return new SmtpSettings(host, smtp.get("port").asInt().orElse(defaultPort), security,
                smtp.get("username").asString().orElse(""), password, from,
                smtp.get("connect-timeout").as(Duration.class).orElse(Duration.ofSeconds(5)),
                smtp.get("read-timeout").as(Duration.class).orElse(Duration.ofSeconds(15)),
                smtp.get("write-timeout").as(Duration.class).orElse(Duration.ofSeconds(15)));
    }

    private static String required(Config smtp, String key) {
        return smtp.get(key).asString().filter(v -> !v.isBlank()).orElseThrow(() -> new IllegalStateException(
                "the setting smtp." + key + " is required (environment variable SMTP_" + key.toUpperCase(Locale.ROOT) + ")"));
    }

    public Properties properties() {
        String protocol = security.equals("smtps") ? "smtps" : "smtp";
        String prefix = "mail." + protocol + ".";
        Properties props = new Properties();
        props.put("mail.transport.protocol", protocol);
        props.put(prefix + "host", host);
        props.put(prefix + "port", Integer.toString(port));
        props.put(prefix + "connectiontimeout", Long.toString(connectTimeout.toMillis()));
        props.put(prefix + "timeout", Long.toString(readTimeout.toMillis()));
        props.put(prefix + "writetimeout", Long.toString(writeTimeout.toMillis()));
        props.put(prefix + "auth", Boolean.toString(!username.isEmpty()));
        if (security.equals("starttls")) {
            props.put(prefix + "starttls.enable", "true");
            props.put(prefix + "starttls.required", "true");
        }
        if (!security.equals("none")) {
            props.put(prefix + "ssl.checkserveridentity", "true");
        }
        return props;
    }
}
