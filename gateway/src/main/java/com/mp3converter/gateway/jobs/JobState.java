package com.mp3converter.common.jobs;

/** QUEUED → PROCESSING → DONE | FAILED, or CANCELLED by the owner. */
public enum JobState {
    QUEUED, PROCESSING, DONE, FAILED, CANCELLED;

    public boolean terminal() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }
}
