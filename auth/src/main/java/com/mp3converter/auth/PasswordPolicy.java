package com.mp3converter.auth;

import java.util.Set;

import com.mp3converter.common.http.Problems;

/** Length over composition rules (NIST SP 800-63B): 12 to 128 characters, not a well-known password, not the e-mail. */
public final class PasswordPolicy {
    public static final int MIN_LENGTH = 12;
    public static final int MAX_LENGTH = 128;
    private static final Set<String> COMMON = Set.of("password1234", "123456789012", "qwertyuiopas", "passwordpassword",
            "iloveyou1234", "letmein12345", "administrator", "welcome12345", "changeme1234", "000000000000");

    private PasswordPolicy() {
    }

    /** A 400 with a message a user can act on when the password will not do. */
    public static void check(String password, String email) {
        if (password == null || password.codePointCount(0, password.length()) < MIN_LENGTH) {
            throw Problems.badRequest("the password must have at least " + MIN_LENGTH + " characters");
        }
        if (password.length() > MAX_LENGTH) {
            throw Problems.badRequest("the password must have at most " + MAX_LENGTH + " characters");
        }
        String lower = password.toLowerCase(java.util.Locale.ROOT);
        if (COMMON.contains(lower) || lower.chars().distinct().count() < 4) {
            throw Problems.badRequest("the password is too easy to guess");
        }
        if (email != null && lower.contains(EmailAddress.normalize(email).split("@")[0]) && email.indexOf('@') > 3) {
            throw Problems.badRequest("the password must not contain the e-mail address");
        }
    }
}
