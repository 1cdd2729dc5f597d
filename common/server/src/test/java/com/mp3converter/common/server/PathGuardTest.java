package com.mp3converter.common.server;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class PathGuardTest {
    @Test
    void pathsThatClimbOrHideSeparatorsAreRefused() {
        for (String path : new String[] {"/../../etc/passwd", "/a/..", "/a/./b", "/.", "/%2e%2e/x", "/%2E./x", "/a/.%2e",
                "/a\\b", "/a%5c..%5cb", "/a%00.mp3", "/assets%2f..%2fsecret", "///jobs/1", "//jobs", "/jobs//x", "/;/jobs", "/assets/..;/jobs", "/jobs;x=1"}) {
            assertThat(path, PathGuard.refused(path), is(true));
        }
    }

    @Test
    void ordinaryPathsPass() {
        for (String path : new String[] {"/", "/jobs", "/jobs/0b6e3f1c-1111-2222-3333-444455556666/events",
                "/.well-known/jwks.json", "/assets/app.3f2a.js", "/files/", "/download", "/a/...", "/a..b/c", "/%20x"}) {
            assertThat(path, PathGuard.refused(path), is(false));
        }
    }
}
