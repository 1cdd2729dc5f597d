package com.mp3converter.systemtests;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.mp3converter.common.testing.LocalServers;
import com.mp3converter.common.testing.ServiceProcess;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.not;

/**
 * The services' environment is one fact, jvm/common.env: the local stack and the tests read the file, and the images
 * must set each of its variables alike with an ENV of the Dockerfile's runtime stage.
 */
class JvmEnvironmentTest {
    @Test
    void theImagesSetEveryVariableOfCommonEnvAlike() throws Exception {
        Map<String, String> environment = ServiceProcess.jvmEnvironment();
        assertThat("jvm/common.env names variables", environment.keySet(), not(empty()));
        String dockerfile = Files.readString(LocalServers.repoRoot().resolve("Dockerfile"));
        String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        List<String> missing = new ArrayList<>();
        environment.forEach((name, value) -> {
            if (!runtime.contains("\nENV " + name + "=" + value + "\n")) {
                missing.add("ENV " + name + "=" + value);
            }
        });
        assertThat("the Dockerfile's runtime stage lacks " + missing, missing, empty());
    }
}
