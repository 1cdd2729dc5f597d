package com.mp3converter.systemtests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;

/**
 * Each service owns its data, and ships only what it uses: only the gateway's code names the {@code jobs}
 * collection (the others learn about jobs from events and report by events), and the jars each service runs with
 * hold nothing it should not need (the enforcer rules in auth's and the mailer's poms stop the build earlier; this
 * looks at what was actually packaged).
 */
class ModuleBoundariesTest {
    private static final Path ROOT = LocalServers.repoRoot();
    private static final Pattern JOBS_COLLECTION = Pattern.compile("getCollection\\(\\s*\"jobs\"");

    @Test
    void onlyTheGatewayReadsOrWritesTheJobsCollection() throws Exception {
        List<String> problems = new ArrayList<>();
        for (String module : List.of("auth", "transcoder", "mailer", "common/server", "common/tokens", "common/streams",
                "common/mongo")) {
            try (Stream<Path> sources = Files.walk(ROOT.resolve(module).resolve("src/main"))) {
                for (Path source : sources.filter(Files::isRegularFile).toList()) {
                    if (JOBS_COLLECTION.matcher(Files.readString(source)).find()) {
                        problems.add(ROOT.relativize(source) + " uses the gateway's jobs collection");
                    }
                }
            }
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    @Test
    void eachServiceShipsOnlyTheLibrariesItUses() throws Exception {
        List<String> problems = new ArrayList<>();
        problems.addAll(shipped("auth", "mongodb-driver", "bson", "stream-client", "amqp-client"));
        problems.addAll(shipped("mailer", "helidon-security-jwt", "helidon-security-providers"));
        problems.addAll(shipped("transcoder", "helidon-security-jwt", "mariadb-java-client", "angus-mail"));
        assertThat(String.join("\n", problems), problems, empty());
    }

    /** The jars on the service's runtime class path (its jar's manifest) whose names start with one of {@code banned}. */
    private static List<String> shipped(String service, String... banned) throws Exception {
        Path jar = ROOT.resolve(service).resolve("target").resolve(service + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " is missing: the service is not packaged");
        }
        String classPath;
        try (JarFile file = new JarFile(jar.toFile())) {
            classPath = file.getManifest().getMainAttributes().getValue("Class-Path");
        }
        List<String> found = new ArrayList<>();
        for (String entry : classPath.trim().split("\\s+")) {
            String name = entry.substring(entry.lastIndexOf('/') + 1);
            for (String prefix : banned) {
                if (name.startsWith(prefix + "-")) {
                    found.add(service + " ships " + name);
                }
            }
        }
        return found;
    }
}
