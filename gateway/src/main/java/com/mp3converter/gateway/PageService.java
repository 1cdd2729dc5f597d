package com.mp3converter.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import com.mp3converter.common.http.Problems;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The web page: {@code GET /} and its files at {@code /assets/<version>/<name>}, from the jar's {@code web/}
 * resources. The version is a hash of every file, so the files can be cached for a year and a new release is
 * fetched at once; the page itself is revalidated each time. A client of the public API like any other: it has no
 * route of its own besides these.
 */
public final class PageService implements HttpService {
    /** Scripts, styles, images and connections from this origin only; no inline code, no framing, no plugins. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";
    /** Where index.html names its files; replaced by {@code /assets/<version>}. */
    private static final String ASSETS_PLACEHOLDER = "/assets/VERSION";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8", "js", "text/javascript; charset=utf-8", "svg", "image/svg+xml");

    private final String version;
    private final Body index;
    private final Map<String, Body> assets;

    /** A file as it is and gzipped (once, here): the page's weight on a phone's connection is a third of it. */
    private record Body(byte[] plain, byte[] gzipped) {
        static Body of(byte[] plain) {
            ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gzipped)) {
                out.write(plain);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Body(plain, gzipped.toByteArray());
        }
    }

    private PageService(String version, Body index, Map<String, Body> assets) {
        this.version = version;
        this.index = index;
        this.assets = assets;
    }

    /** The page from the {@code web/} resources next to this class (in the jar or in a classes directory). */
    public static PageService fromResources() {
        try {
            URI root = PageService.class.getResource("/web/index.html").toURI();
            if (!root.getScheme().equals("jar")) {
                return of(Path.of(root).getParent());
            }
            try (FileSystem jar = FileSystems.newFileSystem(root, Map.of())) {
                return of(jar.provider().getPath(root).getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web page's files", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static PageService of(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path file : list.filter(Files::isRegularFile).toList()) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        String version = hash(files);
        byte[] index = new String(files.remove("index.html"), StandardCharsets.UTF_8)
                .replace(ASSETS_PLACEHOLDER, "/assets/" + version).getBytes(StandardCharsets.UTF_8);
        Map<String, Body> assets = new TreeMap<>();
        files.forEach((name, bytes) -> assets.put(name, Body.of(bytes)));
        return new PageService(version, Body.of(index), Map.copyOf(assets));
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::page)
                .head("/", this::page)
                .get("/assets/{version}/{name}", this::asset)
                .head("/assets/{version}/{name}", this::asset);
    }

    private void page(ServerRequest req, ServerResponse res) {
        String etag = "\"" + version + "\"";
        secure(res, "text/html; charset=utf-8", "no-cache");
        res.header(HeaderNames.ETAG, etag);
        if (req.headers().first(HeaderNames.IF_NONE_MATCH).filter(v -> v.contains(etag)).isPresent()) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        send(req, res, index);
    }

    private void asset(ServerRequest req, ServerResponse res) {
        String name = req.path().pathParameters().get("name");
        Body body = assets.get(name);
        if (body == null || !req.path().pathParameters().get("version").equals(version)) {
            throw Problems.notFound("no file " + req.path().absolute().path() + " (the page may have been updated: reload it)");
        }
        String extension = name.substring(name.lastIndexOf('.') + 1);
        secure(res, TYPES.getOrDefault(extension, "text/plain; charset=utf-8"), "public, max-age=31536000, immutable");
        send(req, res, body);
    }

    private static void send(ServerRequest req, ServerResponse res, Body body) {
        res.header(HeaderNames.VARY, "Accept-Encoding");
        boolean gzip = req.headers().first(HeaderNames.ACCEPT_ENCODING).stream()
                .flatMap(value -> Stream.of(value.split(",")))
                .anyMatch(coding -> coding.trim().equals("gzip"));
        if (gzip) {
            res.header(HeaderNames.CONTENT_ENCODING, "gzip");
        }
        byte[] bytes = gzip ? body.gzipped() : body.plain();
        if (req.prologue().method() == Method.HEAD) {
            res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length));
            res.send();
        } else {
            res.send(bytes);
        }
    }

    private static void secure(ServerResponse res, String contentType, String caching) {
        res.header(HeaderNames.CONTENT_TYPE, contentType);
        res.header(HeaderNames.CACHE_CONTROL, caching);
        res.header(HeaderNames.create("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
        res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
        res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
        res.header(HeaderNames.create("Cross-Origin-Opener-Policy"), "same-origin");
    }

    private static String hash(Map<String, byte[]> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            files.forEach((name, bytes) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(bytes);
            });
            return HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
