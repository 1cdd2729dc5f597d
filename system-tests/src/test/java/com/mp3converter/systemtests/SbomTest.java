package com.mp3converter.systemtests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * The build writes a CycloneDX SBOM of each service (target/NAME-sbom.json, cyclonedx-maven-plugin at package) and it
 * names exactly the jars the service runs with: those in target/libs, by name, version and classifier.
 */
class SbomTest {
    private static final Pattern CLASSIFIER = Pattern.compile("[?&]classifier=([^&]+)");

    @ParameterizedTest
    @ValueSource(strings = {"auth", "gateway", "transcoder", "mailer"})
    void eachServicesSbomNamesExactlyTheJarsItRunsWith(String service) throws IOException {
        Path target = LocalServers.repoRoot().resolve(service).resolve("target");
        JsonNode sbom = new ObjectMapper().readTree(target.resolve(service + "-sbom.json").toFile());
        assertThat(sbom.path("bomFormat").asText(), is("CycloneDX"));
        assertThat(sbom.at("/metadata/component/name").asText(), is(service));
        Set<String> listed = new TreeSet<>();
        for (JsonNode component : sbom.path("components")) {
            Matcher classifier = CLASSIFIER.matcher(component.path("purl").asText());
            listed.add(component.path("name").asText() + "-" + component.path("version").asText()
                    + (classifier.find() ? "-" + classifier.group(1) : ""));
        }
        Set<String> jars = new TreeSet<>();
        try (Stream<Path> libs = Files.list(target.resolve("libs"))) {
            libs.map(jar -> jar.getFileName().toString().replaceFirst("\\.jar$", "")).forEach(jars::add);
        }
        assertThat(listed, is(jars));
    }
}
