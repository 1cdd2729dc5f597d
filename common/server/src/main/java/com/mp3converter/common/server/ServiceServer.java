package com.mp3converter.common.server;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;

import com.mp3converter.common.http.Problems;
import com.mp3converter.common.tracing.ServerSpans;
import com.mp3converter.common.tracing.Tracing;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.spi.ConfigSource;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.ListenerConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

/**
 * What every service's {@code main} does, in the style of Helidon's SE examples: config (application.yaml under
 * environment variables and system properties), tracing, then a {@link WebServer} with the service's routes and
 * /health/live, /health/ready, /metrics and problem+json errors around them.
 * <pre>{@code
 * public static void main(String[] args) {
 *     ServiceServer.run("gateway", GatewayApplication::new);
 * }
 * }</pre>
 */
public final class ServiceServer {
    private static final Logger LOG = Logger.getLogger(ServiceServer.class.getName());
    private static final String DEFAULTS = "mp3converter-defaults.yaml";
    /** With {@code admin.port} set (in Kubernetes), health and metrics are served there and not on the public port. */
    private static final String ADMIN_SOCKET = "admin";

    private ServiceServer() {
    }

    /** Builds the application from its config, starts the server and then the background work; SIGTERM closes both. */
    public static WebServer run(String service, Function<Config, ? extends Application> create) {
        Config config = config(service);
        Application app = create.apply(config);
        WebServerConfig.Builder builder = WebServer.builder().config(config.get("server"));
        configure(builder, config, app);
        WebServer server = builder.build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, service + "-shutdown"));
        app.start();
        LOG.info(() -> service + " listening on port " + server.port());
        if (config.get("admin.port").exists()) {
            LOG.info(() -> service + " serves health and metrics on admin port " + server.port(ADMIN_SOCKET));
        }
        if (Boolean.getBoolean("mp3converter.aot-training")) {
            AotTraining.run(server);
        }
        return server;
    }

    /**
     * Config for a service and its tracing: environment variables over system properties over the service's
     * application.yaml over the shared libraries' {@value #DEFAULTS} (the settings every service shares, once).
     */
    public static Config config(String service) {
        LogConfig.configureRuntime();
        Config.Builder builder = Config.builder().addSource(ConfigSources.classpath("application.yaml"));
        ConfigSources.classpathAll(DEFAULTS).forEach(builder::addSource);
        Config config = builder.build();
        Config.global(config);
        Tracing.configure(service);
        return config;
    }

    /** For tests: these settings over a service's application.yaml over the libraries' defaults, no environment. */
    public static Config config(Map<String, String> settings, ConfigSource application) {
        Config.Builder builder = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(settings)).addSource(application);
        ConfigSources.classpathAll(DEFAULTS).forEach(builder::addSource);
        return builder.build();
    }

    /** For tests: these settings over the libraries' defaults, no environment. */
    public static Config config(Map<String, String> settings) {
        return config(settings, ConfigSources.create(Map.of()).build());
    }

    /**
     * The application's routing with the observe endpoints (on the admin port when {@code admin.port} is set) and error
     * handling, and bounded waits for clients that stop sending ({@code connections.*}): tests with {@code @ServerTest}
     * use it.
     */
    public static void configure(WebServerConfig.Builder builder, Config config, Application app) {
        StallGuard.limits(config.get("connections.idle-timeout").as(Duration.class).get(),
                config.get("connections.body-stall-timeout").as(Duration.class).get());
        JvmMetrics.bind();
        var health = HealthObserver.builder().useSystemServices(false).details(true);
        app.readiness().forEach((name, up) -> health.addCheck(
                () -> HealthCheckResponse.builder().status(up.getAsBoolean()).build(), HealthCheckType.READINESS, name));
        if (!app.details().isEmpty()) {
            health.addCheck(() -> {
                var response = HealthCheckResponse.builder().status(true);
                app.details().forEach(response::detail);
                return response.build();
            }, HealthCheckType.LIVENESS, app.name());
        }
        Optional<Integer> adminPort = config.get("admin.port").asInt().asOptional();
        adminPort.ifPresent(port -> builder.putSocket(ADMIN_SOCKET, ListenerConfig.builder()
                .host(config.get("server.host").asString().orElse("0.0.0.0"))
                .port(port)
                .addRouting(HttpRouting.builder().addFilter(new ConnectionCloseGuard()).addFilter(new ServerSpans()))
                .build()));
        builder.addConnectionSelector(StallGuard.http1())
                .directHandlers(ProtocolErrors.handlers())
                .addFeature(ObserveFeature.builder()
                        .endpoint("/")
                        .sockets(List.of(adminPort.isPresent() ? ADMIN_SOCKET : WebServer.DEFAULT_SOCKET_NAME))
                        .addObserver(health.build())
                        .addObserver(MetricsObserver.create())
                        .build())
                .routing(rules -> {
                    rules.addFilter(new PathGuard());
                    rules.addFilter(StallGuard.filter());
                    rules.addFilter(new ConnectionCloseGuard());
                    rules.addFilter(new ServerSpans());
                    app.routing(rules);
                    Problems.register(rules);
                });
    }
}
