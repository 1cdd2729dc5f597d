package com.mp3converter.systemtests;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;

/**
 * A clone of this repository with nothing beside it must build, test and run: no tracked file may refer to a
 * path outside it (a sibling folder of the clone, a relative path that climbs above the root, a
 * Maven property pointing above the project, or an absolute path into someone's workspace or home).
 */
class RepositoryStandsAloneTest {
    private static final Pattern SIBLING = Pattern.compile("\\.\\./shared\\b");
    private static final Pattern CLIMB = Pattern.compile("(?:\\.\\./)+");
    private static final Pattern ABOVE_PROJECT = Pattern.compile(
            "\\$\\{(?:maven\\.multiModuleProjectDirectory|project\\.basedir|basedir)}/\\.\\.(?:/|\\b)");
    private static final Pattern WORKSPACE = Pattern.compile("(?<![\\w.])/(?:work|root|home)/");

    @Test
    void noTrackedFileRefersToAPathOutsideTheRepository() throws Exception {
        Path root = LocalServers.repoRoot();
        List<String> files = tracked(root);
        assertThat(files.size(), greaterThan(50));
        List<String> problems = new ArrayList<>();
        for (String file : files) {
            String text = text(root.resolve(file));
            if (text == null) {
                continue;
            }
            int depth = file.split("/").length - 1;
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String where = file + ":" + (i + 1) + ": " + lines[i].strip();
                if (SIBLING.matcher(lines[i]).find() || ABOVE_PROJECT.matcher(lines[i]).find()
                        || WORKSPACE.matcher(lines[i]).find()) {
                    problems.add(where);
                    continue;
                }
                Matcher climb = CLIMB.matcher(lines[i]);
                while (climb.find()) {
                    if (climb.group().length() / 3 > depth) {
                        problems.add(where);
                        break;
                    }
                }
            }
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    private static List<String> tracked(Path root) throws Exception {
        Process git = new ProcessBuilder("git", "ls-files", "-z").directory(root.toFile()).start();
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (git.waitFor() != 0) {
            throw new AssertionError("git ls-files failed in " + root);
        }
        List<String> files = new ArrayList<>();
        for (String f : out.split("\0")) {
            if (!f.isEmpty() && Files.isRegularFile(root.resolve(f))) {
                files.add(f);
            }
        }
        return files;
    }

    /** The file as UTF-8 text, or null for a binary file. */
    private static String text(Path file) throws IOException {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.indexOf('\0') >= 0 ? null : text;
        } catch (MalformedInputException binary) {
            return null;
        }
    }
}
