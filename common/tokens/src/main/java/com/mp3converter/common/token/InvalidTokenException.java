package com.mp3converter.common.token;

/** A token that must not be accepted; {@link #reason()} is a stable label for metrics and logs. */
public class InvalidTokenException extends Exception {
    private final String reason;

    public InvalidTokenException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
