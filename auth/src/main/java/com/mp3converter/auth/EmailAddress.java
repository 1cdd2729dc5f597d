package com.mp3converter.auth;

import java.util.Locale;
import java.util.regex.Pattern;

import com.mp3converter.common.http.Problems;

/** E-mail validation and the normalized form that makes addresses unique case-insensitively. */
public final class EmailAddress {
    private static final Pattern SHAPE = Pattern.compile(
            "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$");

    private EmailAddress() {
    }

    /** The trimmed address, or a 400 saying why it is not one. */
    public static String validate(String raw) {
        String email = raw == null ? "" : raw.trim();
        if (email.isEmpty() || email.length() > 254 || !SHAPE.matcher(email).matches() || email.indexOf('@') > 64) {
            throw Problems.badRequest("'" + (email.length() > 80 ? email.substring(0, 80) + "…" : email)
                    + "' is not a valid e-mail address");
        }
        return email;
    }

    public static String normalize(String email) {
        return email.trim().toLowerCase(Locale.ROOT);
    }
}
