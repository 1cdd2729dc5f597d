package com.mp3converter.gateway.jobs;

/** QUEUED → PROCESSING → DONE | FAILED. */
public enum JobState {
    QUEUED, PROCESSING, DONE, FAILED;

    public boolean terminal() {
        return this == DONE || this == FAILED;
    }
}
