package com.mp3converter.common.server;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;

import com.mp3converter.common.http.Problems;
import com.mp3converter.common.tracing.ServerSpans;
import com.mp3converter.common.tracing.Tracing;

import io.helidon.config.Config;
import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

/**
 * What every service's {@code main} does: load config (application.yaml, overridden by environment
 * variables and system properties), and start a {@link WebServer} with /health/live, /health/ready and
 * /metrics at the root, problem+json errors and the service's own routing.
 */
public final class ServiceServer {
    private static final Logger LOG = Logger.getLogger(ServiceServer.class.getName());

    private final String name;
    private final List<HealthCheck> checks = new ArrayList<>();

    private ServiceServer(String name) {
        this.name = name;
    }

    public static ServiceServer named(String name) {
        return new ServiceServer(name);
    }

    /** Config for a service: environment variables win over system properties over application.yaml. */
    public static Config loadConfig() {
        LogConfig.configureRuntime();
        Config config = Config.create();
        Config.global(config);
        return config;
    }

    /** Config plus the tracing SDK for this service: what every {@code main} starts with. */
    public static Config loadConfig(String service) {
        Config config = loadConfig();
        Tracing.configure(config, service);
        return config;
    }

    /** Adds a readiness check: the service takes no traffic while it is false. */
    public ServiceServer readiness(String check, BooleanSupplier up) {
        checks.add(new HealthCheck() {
            @Override
            public HealthCheckResponse call() {
                return HealthCheckResponse.builder().status(up.getAsBoolean()).build();
            }

            @Override
            public String name() {
                return check;
            }

            @Override
            public HealthCheckType type() {
                return HealthCheckType.READINESS;
            }
        });
        return this;
    }

    /** Builds the server with the observe endpoints, the common error handlers and the service's routing. */
    public WebServer build(Config config, Consumer<HttpRouting.Builder> routing) {
        WebServerConfig.Builder builder = WebServer.builder().config(config.get("server"));
        configure(builder, routing);
        return builder.build();
    }

    /** The same set-up on a given builder: tests annotated with {@code @ServerTest} use it to run the real routing. */
    public void configure(WebServerConfig.Builder builder, Consumer<HttpRouting.Builder> routing) {
        HealthObserver health = HealthObserver.builder()
                .useSystemServices(false)
                .details(true)
                .addChecks(checks.toArray(HealthCheck[]::new))
                .build();
        builder.directHandlers(ProtocolErrors.handlers());
        builder.addFeature(ObserveFeature.builder()
                        .endpoint("/")
                        .addObserver(health)
                        .addObserver(MetricsObserver.create())
                        .build())
                .routing(rules -> {
                    rules.addFilter(new ServerSpans());
                    routing.accept(rules);
                    Problems.register(rules);
                });
    }

    public WebServer start(Config config, Consumer<HttpRouting.Builder> routing) {
        WebServer server = build(config, routing).start();
        LOG.info(() -> name + " listening on port " + server.port());
        return server;
    }
}
