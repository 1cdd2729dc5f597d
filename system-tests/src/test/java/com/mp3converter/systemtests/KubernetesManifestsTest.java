package com.mp3converter.systemtests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.mp3converter.common.testing.LocalServers;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;

/**
 * The Kubernetes overlays and the Istio configuration, built with {@code kubectl kustomize} and every
 * document checked against the strict Kubernetes 1.32 / Istio 1.28 schemas (no cluster needed), plus the
 * rules a demanding operator expects of each workload.
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Vendored strict schemas (see schemas/NOTICE.md for their sources and licences). */
    private static final Path SCHEMAS = LocalServers.repoRoot().resolve("system-tests/src/test/resources/schemas");
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);
    private static final Map<Path, Schema> LOADED = new ConcurrentHashMap<>();

    @BeforeAll
    static void generateSecrets() throws Exception {
        run(List.of(LocalServers.repoRoot().resolve("k8s/generate-secrets").toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s/overlays/minikube", "k8s/overlays/production", "istio"})
    void everyDocumentMatchesItsStrictSchema(String dir) throws Exception {
        List<JsonNode> documents = documents(kustomize(LocalServers.repoRoot().resolve(dir)));
        assertThat(documents.size(), greaterThan(5));
        List<String> problems = new ArrayList<>();
        for (JsonNode doc : documents) {
            String where = doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText();
            schema(doc).validate(doc).forEach(e -> problems.add(where + ": " + e.getInstanceLocation() + " " + e.getMessage()));
            problems.addAll(workloadRules(where, doc));
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s/base", "k8s/overlays/minikube", "k8s/overlays/production", "k8s/components/secrets", "istio"})
    void kustomizationsMatchTheirSchemaAndCommitNoSecret(String dir) throws Exception {
        Path folder = LocalServers.repoRoot().resolve(dir);
        JsonNode kustomization = YAML.readTree(folder.resolve("kustomization.yaml").toFile());
        List<String> problems = new ArrayList<>();
        schemaAt(SCHEMAS.resolve("kustomize/kustomization.json")).validate(kustomization)
                .forEach(e -> problems.add(dir + ": " + e.getInstanceLocation() + " " + e.getMessage()));
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (JsonNode doc : documents(Files.readString(f))) {
                    if ("Secret".equals(doc.path("kind").asText())) {
                        problems.add(f + " commits a Secret: generate it instead");
                    }
                }
            }
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    @org.junit.jupiter.api.Test
    void theMeshAgreesWithTheServices() throws Exception {
        List<JsonNode> istio = documents(kustomize(LocalServers.repoRoot().resolve("istio")));
        List<JsonNode> k8s = documents(kustomize(LocalServers.repoRoot().resolve("k8s/overlays/production")));
        JsonNode authConfig = YAML.readTree(LocalServers.repoRoot().resolve("auth/src/main/resources/application.yaml").toFile());
        JsonNode jwt = only(istio, "RequestAuthentication").at("/spec/jwtRules/0");
        assertThat(jwt.get("issuer").asText(), org.hamcrest.Matchers.is(authConfig.at("/auth/issuer").asText()));
        assertThat(jwt.at("/audiences/0").asText(), org.hamcrest.Matchers.is(authConfig.at("/auth/audience").asText()));
        assertThat("inline JWKS, not a jwksUri istiod cannot reach under STRICT mTLS", jwt.has("jwks"), org.hamcrest.Matchers.is(true));

        JsonNode gatewayService = k8s.stream().filter(d -> d.get("kind").asText().equals("Service")
                && d.at("/metadata/name").asText().equals("gateway")).findFirst().orElseThrow();
        int gatewayPort = gatewayService.at("/spec/ports/0/port").asInt();
        JsonNode virtualService = only(istio, "VirtualService");
        assertThat(virtualService.at("/spec/hosts/0").asText(), org.hamcrest.Matchers.is("mp3converter.com"));
        for (JsonNode route : virtualService.at("/spec/http")) {
            assertThat(route.at("/route/0/destination/host").asText(), org.hamcrest.Matchers.startsWith("gateway."));
            assertThat(route.at("/route/0/destination/port/number").asInt(), org.hamcrest.Matchers.is(gatewayPort));
        }
        assertThat(only(istio, "PeerAuthentication").at("/spec/mtls/mode").asText(), org.hamcrest.Matchers.is("STRICT"));
        List<String> problems = new ArrayList<>();
        for (JsonNode doc : k8s) {
            if (doc.get("kind").asText().equals("Service")) {
                for (JsonNode port : doc.at("/spec/ports")) {
                    String name = port.path("name").asText();
                    if (!(name.startsWith("http") || name.startsWith("tcp-")) && port.path("appProtocol").isMissingNode()) {
                        problems.add("Service/" + doc.at("/metadata/name").asText() + " port " + port + " needs an Istio protocol name");
                    }
                }
            }
        }
        String auth = istio.stream().filter(d -> d.get("kind").asText().equals("AuthorizationPolicy")
                && d.at("/metadata/name").asText().equals("auth")).findFirst().orElseThrow().toString();
        assertThat("only the gateway calls auth (and the ingress only reads the JWKS)", auth,
                org.hamcrest.Matchers.containsString("sa/gateway"));
        for (String backend : List.of("transcoder", "mailer")) {
            boolean exposed = istio.stream().anyMatch(d -> d.get("kind").asText().equals("AuthorizationPolicy")
                    && d.at("/spec/selector/matchLabels/app").asText().equals(backend));
            if (exposed) {
                problems.add(backend + " must not accept any caller");
            }
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    @org.junit.jupiter.api.Test
    void aDeliberatelyBrokenManifestFails(@org.junit.jupiter.api.io.TempDir Path temp) throws Exception {
        Path base = LocalServers.repoRoot().resolve("k8s/base");
        try (Stream<Path> files = Files.list(base)) {
            for (Path f : files.toList()) {
                Files.copy(f, temp.resolve(f.getFileName()));
            }
        }
        Path gateway = temp.resolve("gateway.yaml");
        Files.writeString(gateway, Files.readString(gateway)
                .replace("          image: mp3converter/gateway:0.1.0", "          image: mp3converter/gateway:0.1.0\n          imagePullPolicyy: Always")
                .replace("              path: /health/ready\n", "              paht: /health/ready\n"));
        List<String> problems = new ArrayList<>();
        for (JsonNode doc : documents(kustomize(temp))) {
            schema(doc).validate(doc).forEach(e -> problems.add(e.getMessage()));
        }
        assertThat(String.join("\n", problems), problems.stream().anyMatch(p -> p.contains("imagePullPolicyy")), org.hamcrest.Matchers.is(true));
        assertThat(String.join("\n", problems), problems.stream().anyMatch(p -> p.contains("paht")), org.hamcrest.Matchers.is(true));
    }

    private static JsonNode only(List<JsonNode> documents, String kind) {
        List<JsonNode> found = documents.stream().filter(d -> d.get("kind").asText().equals(kind)).toList();
        assertThat(kind, found.size(), org.hamcrest.Matchers.is(1));
        return found.getFirst();
    }

    private static List<String> workloadRules(String where, JsonNode doc) {
        List<String> problems = new ArrayList<>();
        String kind = doc.get("kind").asText();
        if (!kind.equals("Deployment") && !kind.equals("StatefulSet")) {
            return problems;
        }
        JsonNode template = doc.at("/spec/template");
        for (String label : List.of("app", "version")) {
            if (template.at("/metadata/labels/" + label).isMissingNode()) {
                problems.add(where + ": pod label '" + label + "' missing (Kiali needs app and version)");
            }
        }
        JsonNode pod = template.get("spec");
        if (!pod.at("/securityContext/runAsNonRoot").asBoolean(false)) {
            problems.add(where + ": must run as non-root");
        }
        if (pod.path("serviceAccountName").asText().isEmpty()) {
            problems.add(where + ": needs its own ServiceAccount");
        }
        for (JsonNode c : pod.get("containers")) {
            String name = where + "/" + c.get("name").asText();
            if (c.path("readinessProbe").isMissingNode() || c.path("livenessProbe").isMissingNode()) {
                problems.add(name + ": readiness and liveness probes required");
            }
            if (c.at("/resources/requests").isMissingNode() || c.at("/resources/limits").isMissingNode()) {
                problems.add(name + ": requests and limits required");
            }
            JsonNode sc = c.path("securityContext");
            if (!sc.path("readOnlyRootFilesystem").asBoolean(false) || sc.path("allowPrivilegeEscalation").asBoolean(true)
                    || !sc.at("/capabilities/drop").toString().contains("ALL")) {
                problems.add(name + ": read-only root filesystem, no privilege escalation, drop ALL");
            }
            for (JsonNode port : c.path("ports")) {
                if (port.path("name").asText().isEmpty()) {
                    problems.add(name + ": every port needs a name");
                }
            }
            if (c.path("image").asText().endsWith(":latest") || !c.path("image").asText().contains(":")) {
                problems.add(name + ": pin the image version");
            }
        }
        return problems;
    }

    private static Schema schema(JsonNode doc) {
        String apiVersion = doc.get("apiVersion").asText();
        String kind = doc.get("kind").asText().toLowerCase(Locale.ROOT);
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        String file = kind + (group.isEmpty() ? "" : "-" + group.split("\\.")[0]) + "-" + version + ".json";
        Path path = SCHEMAS.resolve(group.endsWith(".istio.io") ? "istio" : "kubernetes").resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new AssertionError("no schema for " + apiVersion + " " + doc.get("kind").asText() + " (" + path + ")");
        }
        return schemaAt(path);
    }

    private static Schema schemaAt(Path path) {
        return LOADED.computeIfAbsent(path, p -> {
            try {
                ObjectNode node = (ObjectNode) new ObjectMapper().readTree(p.toFile());
                node.remove("$schema"); // "http://json-schema.org/schema#" names no draft; validate as draft 7
                node.remove("$id");
                return REGISTRY.getSchema(node);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(yaml)) {
            for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /**
     * The rendered manifests of a kustomization, by {@code kubectl kustomize} (what {@code kubectl apply -k} uses)
     * or the command in {@code KUSTOMIZE} ({@code ./mp3converter test} installs a kustomize when there is no kubectl).
     */
    private static String kustomize(Path dir) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getenv().getOrDefault("KUSTOMIZE", "kubectl kustomize").split(" ")));
        command.add(dir.toString());
        return run(command);
    }

    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
        return output;
    }
}
