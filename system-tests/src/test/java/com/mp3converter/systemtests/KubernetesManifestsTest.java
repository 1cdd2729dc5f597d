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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    @ValueSource(strings = {"k8s/overlays/minikube", "k8s/overlays/production", "istio", "istio/classic"})
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
    @ValueSource(strings = {"k8s/base", "k8s/overlays/minikube", "k8s/overlays/production", "k8s/components/secrets",
            "istio", "istio/mesh", "istio/gateway-api", "istio/classic"})
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
        JsonNode virtualService = only(documents(kustomize(LocalServers.repoRoot().resolve("istio/classic"))), "VirtualService");
        assertThat(virtualService.at("/spec/hosts/0").asText(), org.hamcrest.Matchers.is("mp3converter.com"));
        for (JsonNode route : virtualService.at("/spec/http")) {
            assertThat(route.at("/route/0/destination/host").asText(), org.hamcrest.Matchers.startsWith("gateway."));
            assertThat(route.at("/route/0/destination/port/number").asInt(), org.hamcrest.Matchers.is(gatewayPort));
        }
        JsonNode route = istio.stream().filter(d -> d.get("kind").asText().equals("HTTPRoute")
                && d.at("/metadata/name").asText().equals("mp3converter")).findFirst().orElseThrow();
        assertThat(route.at("/spec/hostnames/0").asText(), org.hamcrest.Matchers.is("mp3converter.com"));
        for (JsonNode rule : route.at("/spec/rules")) {
            assertThat(rule.at("/backendRefs/0/name").asText(), org.hamcrest.Matchers.is("gateway"));
            assertThat(rule.at("/backendRefs/0/port").asInt(), org.hamcrest.Matchers.is(gatewayPort));
        }
        assertThat("the same timeouts through either ingress", route.at("/spec/rules").findValuesAsText("request"),
                org.hamcrest.Matchers.is(List.of("1800s", "3600s", "15s", "15s")));
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
        assertThat("only the gateway calls auth", auth, org.hamcrest.Matchers.containsString("sa/gateway\""));
        assertThat("nothing else calls auth", auth, org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("ingress")));
        boolean transcoderExposed = istio.stream().anyMatch(d -> d.get("kind").asText().equals("AuthorizationPolicy")
                && d.at("/spec/selector/matchLabels/app").asText().equals("transcoder"));
        if (transcoderExposed) {
            problems.add("the transcoder must not accept any caller");
        }
        String mailer = istio.stream().filter(d -> d.get("kind").asText().equals("AuthorizationPolicy")
                && d.at("/spec/selector/matchLabels/app").asText().equals("mailer")).findFirst().orElseThrow().toString();
        assertThat("only the gateway calls the mailer, and only for /webhooks", mailer,
                org.hamcrest.Matchers.stringContainsInOrder(List.of("sa/gateway\"", "\"paths\":[\"/webhooks\",\"/webhooks/*\"]")));
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

    /** What an operator relies on beyond the schemas, over what each overlay and ingress renders. */
    @org.junit.jupiter.api.Test
    void thePoliciesAnOperatorReliesOnHold() throws Exception {
        List<String> problems = new ArrayList<>();
        for (String overlay : List.of("k8s/overlays/minikube", "k8s/overlays/production")) {
            problems.addAll(platformRules(overlay, documents(kustomize(LocalServers.repoRoot().resolve(overlay)))));
        }
        for (String ingress : List.of("istio", "istio/classic")) {
            problems.addAll(ingressRules(ingress, documents(kustomize(LocalServers.repoRoot().resolve(ingress)))));
        }
        assertThat(String.join("\n", problems), problems, empty());
    }

    /** Each rule, broken once in what the overlays and the ingress render, is reported. */
    @org.junit.jupiter.api.Test
    void eachPolicyFailsWhenBroken() throws Exception {
        List<JsonNode> production = documents(kustomize(LocalServers.repoRoot().resolve("k8s/overlays/production")));
        Map<String, java.util.function.Consumer<List<JsonNode>>> breaks = new java.util.LinkedHashMap<>();
        breaks.put("admin port", docs -> ((ObjectNode) named(docs, "Service", "gateway").at("/spec/ports/0"))
                .put("targetPort", "http-admin"));
        breaks.put("probes", docs -> ((ObjectNode) named(docs, "Deployment", "mailer")
                .at("/spec/template/spec/containers/0/readinessProbe/httpGet")).put("port", "http"));
        breaks.put("app.kubernetes.io/component", docs -> ((ObjectNode) named(docs, "Deployment", "auth")
                .at("/spec/template/metadata/labels")).remove("app.kubernetes.io/component"));
        breaks.put("NetworkPolicy", docs -> docs.remove(named(docs, "NetworkPolicy", "transcoder")));
        breaks.put("pull from a registry", docs -> ((ObjectNode) named(docs, "Deployment", "gateway")
                .at("/spec/template/spec/containers/0")).put("image", "mp3converter/gateway:0.1.0"));
        breaks.put("init container", docs -> ((ObjectNode) named(docs, "StatefulSet", "mongodb")
                .at("/spec/template/spec/initContainers/0")).remove("resources"));
        breaks.put("version", docs -> ((ObjectNode) named(docs, "Deployment", "transcoder")
                .at("/spec/template/spec/containers/0")).put("image", "registry.invalid/mp3converter/transcoder:0.0.9"));
        for (var broken : breaks.entrySet()) {
            List<JsonNode> copy = new ArrayList<>(production.stream().map(d -> (JsonNode) d.deepCopy()).toList());
            broken.getValue().accept(copy);
            List<String> problems = platformRules("production", copy);
            assertThat(broken.getKey() + " broken must be reported", String.join("\n", problems),
                    org.hamcrest.Matchers.containsString(broken.getKey()));
        }
        List<JsonNode> ingress = documents(kustomize(LocalServers.repoRoot().resolve("istio")));
        Map<String, java.util.function.Consumer<List<JsonNode>>> ingressBreaks = new java.util.LinkedHashMap<>();
        ingressBreaks.put("redirect", docs -> docs.remove(named(docs, "HTTPRoute", "https-redirect")));
        ingressBreaks.put("Authorization header only", docs -> ((ObjectNode) named(docs, "RequestAuthentication",
                "mp3converter-jwt").at("/spec/jwtRules/0")).putArray("fromParams").add("access_token"));
        ingressBreaks.put("admin port", docs -> ((ObjectNode) named(docs, "HTTPRoute", "mp3converter")
                .at("/spec/rules/0/backendRefs/0")).put("port", 9090));
        ingressBreaks.put("web page without a token", docs -> ((com.fasterxml.jackson.databind.node.ArrayNode) named(docs,
                "AuthorizationPolicy", "require-token").at("/spec/rules/0/to/0/operation/notPaths")).remove(4));
        ingressBreaks.put("OPTIONS only for tus discovery", docs -> ((ObjectNode) named(docs, "AuthorizationPolicy",
                "require-token").at("/spec/rules/0/to/0/operation")).putArray("notMethods").add("OPTIONS"));
        ingressBreaks.put("web page routed", docs -> ((ObjectNode) named(docs, "HTTPRoute", "mp3converter")
                .at("/spec/rules/2/matches/1/path")).put("value", "/static"));
        for (var broken : ingressBreaks.entrySet()) {
            List<JsonNode> copy = new ArrayList<>(ingress.stream().map(d -> (JsonNode) d.deepCopy()).toList());
            broken.getValue().accept(copy);
            assertThat(broken.getKey() + " broken must be reported", String.join("\n", ingressRules("istio", copy)),
                    org.hamcrest.Matchers.containsString(broken.getKey()));
        }
    }

    private static final List<String> SERVICES = List.of("auth", "gateway", "transcoder", "mailer");
    private static final List<String> WORKLOAD_LABELS = List.of("app.kubernetes.io/name", "app.kubernetes.io/component",
            "app.kubernetes.io/version", "app.kubernetes.io/part-of");

    private static List<String> platformRules(String where, List<JsonNode> docs) throws IOException {
        List<String> problems = new ArrayList<>();
        String version = projectVersion();
        List<JsonNode> policies = docs.stream().filter(d -> d.get("kind").asText().equals("NetworkPolicy")).toList();
        if (policies.stream().noneMatch(p -> p.at("/spec/podSelector").isEmpty()
                && p.at("/spec/ingress").isMissingNode())) {
            problems.add(where + ": no default-deny NetworkPolicy");
        }
        for (JsonNode doc : docs) {
            String kind = doc.get("kind").asText();
            String name = doc.at("/metadata/name").asText();
            if (kind.equals("Service")) {
                for (JsonNode port : doc.at("/spec/ports")) {
                    if (port.path("targetPort").asText().equals("http-admin") || port.path("port").asInt() == 9090) {
                        problems.add(where + ": Service/" + name + " exposes the admin port");
                    }
                }
            }
            if (!kind.equals("Deployment") && !kind.equals("StatefulSet")) {
                continue;
            }
            JsonNode template = doc.at("/spec/template");
            for (String label : WORKLOAD_LABELS) {
                if (template.at("/metadata/labels").path(label).asText().isEmpty()) {
                    problems.add(where + ": " + kind + "/" + name + " pod label " + label + " missing");
                }
            }
            JsonNode labels = template.at("/metadata/labels");
            boolean covered = policies.stream().anyMatch(p -> !p.at("/spec/podSelector").isEmpty()
                    && selects(p.at("/spec/podSelector"), labels));
            if (!covered) {
                problems.add(where + ": " + kind + "/" + name + " has no NetworkPolicy of its own");
            }
            for (JsonNode init : template.at("/spec/initContainers")) {
                if (init.at("/resources/requests").isMissingNode() || init.at("/resources/limits").isMissingNode()) {
                    problems.add(where + ": " + name + " init container " + init.path("name").asText() + " needs requests and limits");
                }
            }
            if (!SERVICES.contains(name)) {
                continue;
            }
            JsonNode container = template.at("/spec/containers/0");
            String image = container.path("image").asText();
            if (where.contains("production") && !image.substring(0, Math.max(0, image.indexOf('/'))).contains(".")) {
                problems.add(where + ": " + name + " would pull " + image + " from Docker Hub: pull from a registry");
            }
            if (!image.endsWith(":" + version) || !labels.path("app.kubernetes.io/version").asText().equals(version)) {
                problems.add(where + ": " + name + " image " + image + " and its version label must be the project's version " + version);
            }
            boolean hasAdmin = false;
            for (JsonNode port : container.path("ports")) {
                hasAdmin |= port.path("name").asText().equals("http-admin");
            }
            if (!hasAdmin) {
                problems.add(where + ": " + name + " has no admin port");
            }
            for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
                if (!container.at("/" + probe + "/httpGet/port").asText().equals("http-admin")) {
                    problems.add(where + ": " + name + " " + probe + " must use the admin port (probes)");
                }
            }
            if (!template.at("/metadata/annotations/prometheus.io~1port").asText().equals("9090")) {
                problems.add(where + ": " + name + " must be scraped on the admin port");
            }
        }
        return problems;
    }

    private static List<String> ingressRules(String where, List<JsonNode> docs) {
        List<String> problems = new ArrayList<>();
        for (JsonNode auth : docs.stream().filter(d -> d.get("kind").asText().equals("RequestAuthentication")).toList()) {
            for (JsonNode rule : auth.at("/spec/jwtRules")) {
                if (!rule.has("fromHeaders") || rule.has("fromParams") || rule.has("fromCookies")
                        || rule.at("/fromHeaders").size() != 1
                        || !rule.at("/fromHeaders/0/name").asText().equals("Authorization")) {
                    problems.add(where + ": the edge must take tokens from the Authorization header only");
                }
            }
        }
        boolean redirect = docs.stream().anyMatch(d -> d.get("kind").asText().equals("HTTPRoute")
                && d.at("/spec/parentRefs/0/sectionName").asText().equals("http")
                && d.at("/spec/rules/0/filters/0/requestRedirect/scheme").asText().equals("https"))
                || docs.stream().anyMatch(d -> d.get("kind").asText().equals("Gateway")
                && d.at("/apiVersion").asText().startsWith("networking.istio.io")
                && d.at("/spec/servers").findValues("httpsRedirect").stream().anyMatch(JsonNode::asBoolean));
        if (!redirect) {
            problems.add(where + ": port 80 must answer with a redirect to HTTPS");
        }
        problems.addAll(pageRules(where, docs));
        problems.addAll(edgeRules(where, docs));
        for (JsonNode doc : docs) {
            if (doc.toString().contains("\"number\":9090") || doc.toString().contains("\"port\":9090")) {
                problems.add(where + ": " + doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText()
                        + " routes to the admin port");
            }
        }
        return problems;
    }

    /** What passes the edge without a token, and what must not (it reaches the gateway as a client sent it). */
    private static final Map<String, Boolean> WITHOUT_A_TOKEN = new java.util.LinkedHashMap<>();

    static {
        WITHOUT_A_TOKEN.put("OPTIONS /files/", true); // tus discovery
        WITHOUT_A_TOKEN.put("OPTIONS /files", true);
        WITHOUT_A_TOKEN.put("GET /", true);
        WITHOUT_A_TOKEN.put("HEAD /assets/app.js", true);
        WITHOUT_A_TOKEN.put("POST /login", true);
        WITHOUT_A_TOKEN.put("POST /signup", true);
        WITHOUT_A_TOKEN.put("GET /limits", true);
        WITHOUT_A_TOKEN.put("OPTIONS /jobs", false);
        WITHOUT_A_TOKEN.put("OPTIONS /webhooks", false);
        WITHOUT_A_TOKEN.put("OPTIONS /files/0123abcd", false);
        WITHOUT_A_TOKEN.put("POST /files/", false);
        WITHOUT_A_TOKEN.put("GET /jobs", false);
        WITHOUT_A_TOKEN.put("GET /health/ready", false);
        WITHOUT_A_TOKEN.put("PROPFIND /jobs", false);
    }

    /** The edge's require-token policy, read as Istio reads a DENY policy, for requests that carry no token. */
    private static List<String> edgeRules(String where, List<JsonNode> docs) {
        List<String> problems = new ArrayList<>();
        JsonNode policy = named(docs, "AuthorizationPolicy", "require-token");
        WITHOUT_A_TOKEN.forEach((request, passes) -> {
            String method = request.substring(0, request.indexOf(' '));
            String path = request.substring(request.indexOf(' ') + 1);
            boolean denied = false;
            for (JsonNode rule : policy.at("/spec/rules")) {
                boolean fromAnonymous = rule.path("from").isEmpty() || java.util.stream.StreamSupport.stream(
                        rule.path("from").spliterator(), false).anyMatch(f -> f.at("/source/notRequestPrincipals").toString()
                        .equals("[\"*\"]"));
                boolean toThis = java.util.stream.StreamSupport.stream(rule.path("to").spliterator(), false)
                        .anyMatch(to -> matches(to.path("operation"), method, path));
                denied |= fromAnonymous && toThis;
            }
            if (denied == passes) {
                problems.add(where + ": the edge must " + (passes ? "let " : "refuse ") + request
                        + " without a token (OPTIONS only for tus discovery)");
            }
        });
        return problems;
    }

    private static boolean matches(JsonNode operation, String method, String path) {
        return (!operation.has("paths") || anyMatches(operation.get("paths"), path))
                && (!operation.has("notPaths") || !anyMatches(operation.get("notPaths"), path))
                && (!operation.has("methods") || anyMatches(operation.get("methods"), method))
                && (!operation.has("notMethods") || !anyMatches(operation.get("notMethods"), method));
    }

    /** Istio's string match: exact, a prefix ending in '*', or a suffix starting with '*'. */
    private static boolean anyMatches(JsonNode values, String value) {
        for (JsonNode v : values) {
            String pattern = v.asText();
            if (pattern.equals(value) || pattern.endsWith("*") && value.startsWith(pattern.substring(0, pattern.length() - 1))
                    || pattern.startsWith("*") && value.endsWith(pattern.substring(1))) {
                return true;
            }
        }
        return false;
    }

    /** The web page (/ and its files under /assets/) and /limits load without a token, on a route of their own. */
    private static List<String> pageRules(String where, List<JsonNode> docs) {
        List<String> problems = new ArrayList<>();
        List<String> open = new ArrayList<>();
        named(docs, "AuthorizationPolicy", "require-token").at("/spec/rules/0/to/0/operation/notPaths")
                .forEach(path -> open.add(path.asText()));
        if (!open.containsAll(List.of("/", "/assets/*", "/limits"))) {
            problems.add(where + ": the edge must let the web page without a token load /, /assets/* and /limits: " + open);
        }
        List<String> routed = new ArrayList<>();
        for (JsonNode doc : docs) {
            if (doc.get("kind").asText().equals("HTTPRoute")) {
                doc.at("/spec/rules").forEach(rule -> rule.path("matches").forEach(match ->
                        routed.add(match.at("/path/type").asText() + " " + match.at("/path/value").asText())));
            } else if (doc.get("kind").asText().equals("VirtualService")) {
                doc.at("/spec/http").forEach(route -> route.path("match").forEach(match ->
                        match.path("uri").properties().forEach(uri -> routed.add(uri.getKey() + " " + uri.getValue().asText()))));
            }
        }
        boolean page = routed.contains("Exact /") || routed.contains("exact /");
        boolean assets = routed.contains("PathPrefix /assets") || routed.contains("prefix /assets/");
        if (!page || !assets) {
            problems.add(where + ": the web page routed: an exact route for / and a prefix route for /assets/ to the gateway: "
                    + routed);
        }
        return problems;
    }

    private static boolean selects(JsonNode selector, JsonNode labels) {
        var match = selector.path("matchLabels").properties().iterator();
        while (match.hasNext()) {
            var entry = match.next();
            if (!labels.path(entry.getKey()).asText().equals(entry.getValue().asText())) {
                return false;
            }
        }
        for (JsonNode expression : selector.path("matchExpressions")) {
            List<String> values = new ArrayList<>();
            expression.path("values").forEach(v -> values.add(v.asText()));
            if (expression.path("operator").asText().equals("In")
                    && !values.contains(labels.path(expression.path("key").asText()).asText())) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode named(List<JsonNode> docs, String kind, String name) {
        return docs.stream().filter(d -> d.get("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + "/" + name));
    }

    /** The root pom's version, without -SNAPSHOT: what the images are tagged with (k8s/build-images). */
    private static String projectVersion() throws IOException {
        Matcher version = Pattern.compile("<version>([^<]+)</version>")
                .matcher(Files.readString(LocalServers.repoRoot().resolve("pom.xml")));
        assertThat(version.find(), org.hamcrest.Matchers.is(true));
        return version.group(1).replace("-SNAPSHOT", "");
    }

    /** The service's maximum heap, from the JVM options its image starts it with. */
    private static long heapMib(String service) {
        try {
            return com.mp3converter.common.testing.ServiceProcess.jvmOptions(service).stream()
                    .filter(o -> o.startsWith("-Xmx")).map(o -> mib(o.substring(4))).reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("jvm/" + service + ".options sets no -Xmx"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A memory size in MiB: Kubernetes' 768Mi, 1Gi; the JVM's 96m, 1g. */
    private static long mib(String quantity) {
        Matcher size = Pattern.compile("(\\d+)([MmGg])i?").matcher(quantity);
        assertThat(quantity, size.matches(), org.hamcrest.Matchers.is(true));
        return Long.parseLong(size.group(1)) * (size.group(2).equalsIgnoreCase("g") ? 1024 : 1);
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
            Path jvm = LocalServers.repoRoot().resolve("jvm").resolve(c.get("name").asText() + ".options");
            if (Files.isRegularFile(jvm) && !c.at("/resources/limits/memory").isMissingNode()) {
                long heap = heapMib(c.get("name").asText());
                long limit = mib(c.at("/resources/limits/memory").asText());
                if (limit < 2 * heap) {
                    problems.add(name + ": a memory limit of " + limit + " MiB leaves the JVM less than twice its " + heap
                            + " MiB heap (" + LocalServers.repoRoot().relativize(jvm) + ") for its code, classes, threads"
                            + " and native memory");
                }
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
