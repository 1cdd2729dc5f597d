package com.mp3converter.systemtests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.mp3converter.common.testing.LocalServers;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

/**
 * No script hands a password, token or secret to another program on its command line, where any user's {@code ps}
 * reads it (docs/security.md, Secrets): secrets go through stdin ({@code curl -K -}, heredocs), files ({@code -H @file})
 * or the environment. A static reading of every script: each simple command whose program is an external one and
 * whose arguments expand a secret (a variable named for one, or assigned from {@code secret} or a file under
 * secrets/) is reported. Builtins ({@code printf}, {@code echo}) and the script's own functions run in the shell and
 * are not on a command line.
 */
class SecretsOffCommandLinesTest {
    private static final Pattern SECRET_NAME = Pattern.compile("[A-Z_]*(PASSWORD|TOKEN|SECRET)[A-Z_]*");
    private static final Pattern ASSIGNED_FROM_SECRET = Pattern.compile(
            "(?:^|[\\s;(])(?:local\\s+)?([A-Za-z_][A-Za-z0-9_]*)=\\$\\((?:secret\\b|cat\\s+[^)]*secrets/)");
    private static final Pattern EXPANSION = Pattern.compile("(?<!\\\\)\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");
    private static final Set<String> PROGRAMS = Set.of("curl", "wget", "mariadb", "mysql", "mongosh", "rabbitmqctl",
            "java", "openssl", "kubectl", "htpasswd", "sshpass", "env", "sudo", "chroot", "base64", "tee", "sed", "awk");
    private static final Pattern SPLIT = Pattern.compile("\\|\\||&&|[|;`]|\\$\\(|(?<![$<>])\\(");

    @Test
    void noScriptPutsASecretOnACommandLine() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path script : scripts()) {
            found.addAll(secretsOnCommandLines(script, Files.readAllLines(script)));
        }
        assertThat(String.join("\n", found), found, is(empty()));
    }

    @Test
    void aSecretOnACommandLineIsFound() {
        List<String> broken = List.of(
                "PASSWORD=$(cat \"$STATE/secrets/demo-password\")",
                "TOKEN=$(curl -fsS -X POST \"$GATEWAY/login\" -u \"$EMAIL:$PASSWORD\")",
                "curl -sf -H \"Authorization: Bearer $TOKEN\" \"$GATEWAY/jobs\"",
                "pw=$(secret db-password); mariadb -uroot -p\"$pw\" <<<'SELECT 1'",
                "printf 'user = \"%s\"\\n' \"$EMAIL:$PASSWORD\" | curl -fsS -K - \"$GATEWAY/login\"",
                "code=$(curl -s -X POST -H 'Content-Type: application/json' \\",
                "  -d \"{\\\"password\\\":\\\"$PASSWORD\\\"}\" \"$GATEWAY/signup\")",
                "step \"upload: curl -H \\\"Authorization: Bearer \\$TOKEN\\\" $GATEWAY/upload\"");
        List<String> found = secretsOnCommandLines(Path.of("broken.sh"), broken);
        assertThat(String.join("\n", found), found, hasSize(4));
    }

    private static List<Path> scripts() throws IOException {
        Path root = LocalServers.repoRoot();
        List<Path> scripts = new ArrayList<>(List.of(root.resolve("mp3converter"), root.resolve(".ci/run"),
                root.resolve("k8s/generate-secrets"), root.resolve("k8s/build-images")));
        try (Stream<Path> files = Files.list(root.resolve("scripts"))) {
            files.filter(f -> f.toString().endsWith(".sh") || f.getFileName().toString().equals("with-env"))
                    .sorted().forEach(scripts::add);
        }
        return scripts;
    }

    static List<String> secretsOnCommandLines(Path script, List<String> lines) {
        Set<String> secrets = new HashSet<>();
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            int start = i;
            StringBuilder joined = new StringBuilder(lines.get(i));
            while (joined.toString().endsWith("\\") && i + 1 < lines.size()) { // a command continued on the next line
                joined.setLength(joined.length() - 1);
                joined.append(' ').append(lines.get(++i).trim());
            }
            String line = joined.toString().replaceFirst("(^|\\s)#.*$", "");
            Matcher assigned = ASSIGNED_FROM_SECRET.matcher(line);
            while (assigned.find()) {
                secrets.add(assigned.group(1));
            }
            for (String command : SPLIT.split(line)) {
                List<String> words = List.of(command.trim().split("\\s+"));
                int first = 0;
                while (first < words.size() && words.get(first).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                    first++; // VAR=value before the program
                }
                if (first >= words.size() || !PROGRAMS.contains(words.get(first).replaceAll("^\"|\"$", ""))) {
                    continue;
                }
                Matcher expansion = EXPANSION.matcher(String.join(" ", words.subList(first + 1, words.size())));
                while (expansion.find()) {
                    String name = expansion.group(1);
                    if (SECRET_NAME.matcher(name).matches() || secrets.contains(name)) {
                        found.add(script.getFileName() + ":" + (start + 1) + ": " + words.get(first) + " gets $" + name
                                + " on its command line: " + lines.get(start).trim());
                        break;
                    }
                }
            }
        }
        return found;
    }
}
