package com.mp3converter.systemtests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/**
 * The JDK floor is one fact, {@code java.floor} in pom.xml: the enforcer rule, the compiler release, the scripts'
 * JDK finder, the README and both stages of the Dockerfile must all say the same, and the Dockerfile's build stage
 * must have what the Maven wrapper needs.
 */
class OneJdkStoryTest {
    private static final Path ROOT = LocalServers.repoRoot();

    @Test
    void everyPlaceNamesTheSameJdkFloor() throws Exception {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        int floor = Integer.parseInt(group(pom, "<java\\.floor>(\\d+)</java\\.floor>"));
        List<String> problems = new ArrayList<>();
        if (!pom.contains("<maven.compiler.release>${java.floor}</maven.compiler.release>")) {
            problems.add("pom.xml: the compiler release is not ${java.floor}");
        }
        if (!pom.contains("<version>[${java.floor},)</version>")) {
            problems.add("pom.xml: the enforcer's requireJavaVersion is not [${java.floor},)");
        }
        if (Integer.parseInt(group(Files.readString(ROOT.resolve("scripts/jdk.sh")), "JDK_FLOOR=(\\d+)")) != floor) {
            problems.add("scripts/jdk.sh: JDK_FLOOR differs from " + floor);
        }
        if (!Files.readString(ROOT.resolve("README.md")).contains("**JDK " + floor + "** or newer")) {
            problems.add("README.md does not name JDK " + floor);
        }
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        Matcher from = Pattern.compile("(?m)^FROM eclipse-temurin:(\\d+)[^\\s]*-(jdk|jre)").matcher(dockerfile);
        int stages = 0;
        while (from.find()) {
            stages++;
            if (Integer.parseInt(from.group(1)) != floor) {
                problems.add("Dockerfile: " + from.group() + " is not JDK " + floor);
            }
        }
        if (stages != 2) {
            problems.add("Dockerfile: expected a Temurin build stage and a Temurin runtime stage, found " + stages);
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    @Test
    void theBuildStageHasWhatTheStandardWrapperNeeds() throws Exception {
        String wrapper = Files.readString(ROOT.resolve(".mvn/wrapper/maven-wrapper.properties"));
        assertThat(wrapper, containsString("distributionType=only-script"));
        assertThat("the distribution is checked", wrapper.matches("(?s).*distributionSha256Sum=[0-9a-f]{64}.*"), is(true));
        assertThat(Files.readString(ROOT.resolve("mvnw")), containsString("Apache Maven Wrapper startup batch script"));
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        String build = dockerfile.substring(dockerfile.indexOf("AS build"), dockerfile.indexOf("./mvnw"));
        for (String tool : List.of("curl", "unzip")) {
            assertThat("the build stage installs " + tool, build, containsString(" " + tool));
        }
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("no match for " + regex);
        }
        return m.group(1);
    }
}
