package com.mp3converter.transcoder.convert;

/**
 * A conversion that cannot succeed: {@code permanent} ones (no audio, not media, corrupt, unsupported, too long,
 * past its deadline) fail the job at once; the others (storage, IO) are retried.
 */
public class ConversionException extends Exception {
    public static final String NO_AUDIO = "no-audio";
    public static final String NOT_MEDIA = "not-media";
    public static final String CORRUPT = "corrupt";
    public static final String UNSUPPORTED = "unsupported";
    public static final String IO = "io";
    /** More sound than a job may convert (transcoder.max-duration). */
    public static final String TOO_LONG = "too-long";
    /** The attempt ran past its deadline (transcoder.attempt-deadline). */
    public static final String DEADLINE = "deadline";

    private final String code;
    private final boolean permanent;

    public ConversionException(String code, String message, boolean permanent, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.permanent = permanent;
    }

    public static ConversionException permanent(String code, String message, Throwable cause) {
        return new ConversionException(code, message, true, cause);
    }

    public String code() {
        return code;
    }

    public boolean permanent() {
        return permanent;
    }
}
