package com.mp3converter.gateway;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mp3converter.common.http.Problem;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.jobs.JobStore;
import com.mp3converter.common.jobs.MongoConnection;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.token.TokenVerifier;
import com.rabbitmq.stream.Environment;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;

/** The public API: login proxy, streaming uploads, jobs and owner-only downloads. */
public final class GatewayApplication implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GatewayApplication.class.getName());

    private final Config config;
    private final MongoConnection mongo;
    private final JobStore jobs;
    private final StreamSettings streams;
    private final Environment environment;
    private final OutboxRelay relay;
    private final Mp3Retention retention;
    private final Clock clock = Clock.systemUTC();

    private GatewayApplication(Config config) {
        this.config = config;
        this.mongo = MongoConnection.from(config);
        this.jobs = new JobStore(mongo, clock);
        this.streams = StreamSettings.from(config);
        this.environment = streams.environment("gateway");
        String producer = config.get("gateway.producer-name").asString().filter(s -> !s.isBlank())
                .orElse("gateway-" + Startup.hostName());
        this.relay = new OutboxRelay(jobs, environment, streams, producer, clock);
        GatewayMetrics.jobsByState(jobs::countInState);
        this.retention = new Mp3Retention(jobs, mongo, config.get("media.mp3-retention").as(Duration.class)
                .orElse(Duration.ofDays(7)), clock);
    }

    public static void main(String[] args) {
        Config config = ServiceServer.loadConfig("gateway");
        GatewayApplication app = create(config);
        WebServer server = app.server().start();
        Runtime.getRuntime().addShutdownHook(new Thread(app::close));
        LOG.info(() -> "gateway listening on port " + server.port());
    }

    public static GatewayApplication create(Config config) {
        GatewayApplication app = new GatewayApplication(config);
        app.prepare();
        return app;
    }

    /** Indexes, stream topology, then the relay; while MongoDB or RabbitMQ is down, uploads wait in the outbox. */
    private void prepare() {
        Startup.retryInBackground("gateway-prepare", () -> {
            jobs.createIndexes();
            Topology.declare(environment, streams);
            relay.start();
            retention.start(Duration.ofMinutes(10));
        });
    }

    public WebServer server() {
        WebServerConfig.Builder builder = WebServer.builder().config(config.get("server"));
        configure(builder);
        return builder.build();
    }

    public void configure(WebServerConfig.Builder builder) {
        Config auth = config.get("auth");
        URI authUrl = URI.create(auth.get("url").asString().get());
        JwksKeys keys = new JwksKeys(authUrl.resolve("/.well-known/jwks.json"), clock, Duration.ofSeconds(10),
                Duration.ofMinutes(10));
        Caller caller = new Caller(new TokenVerifier(keys, auth.get("issuer").asString().get(),
                auth.get("audience").asString().get(), clock));
        Config gateway = config.get("gateway");
        UploadService.UploadLimits limits = new UploadService.UploadLimits(
                gateway.get("upload.max-bytes").asLong().orElse(2L << 30),
                gateway.get("quota.max-bytes-stored").asLong().orElse(10L << 30),
                gateway.get("quota.max-jobs-in-flight").asInt().orElse(20));
        Mp3Sender mp3 = new Mp3Sender(mongo);
        AuthProxy authProxy = new AuthProxy(authUrl, auth.get("timeout").as(Duration.class).orElse(Duration.ofSeconds(5)),
                gateway.get("trust-forwarded-for").asBoolean().orElse(true));
        UploadService upload = new UploadService(caller, jobs, mongo, relay, limits, clock);
        JobService jobService = new JobService(caller, jobs, mongo, mp3,
                gateway.get("events.poll").as(Duration.class).orElse(Duration.ofMillis(500)),
                gateway.get("events.timeout").as(Duration.class).orElse(Duration.ofMinutes(30)));
        ServiceServer.named("gateway")
                .readiness("mongodb", mongo::reachable)
                .configure(builder, rules -> routing(rules, authProxy, upload, jobService,
                        new DownloadService(caller, jobs, mp3)));
    }

    private static void routing(HttpRouting.Builder rules, AuthProxy authProxy, UploadService upload,
                                JobService jobService, DownloadService download) {
        rules.register("/", authProxy)
                .register("/", upload)
                .register("/jobs", jobService)
                .register("/", download)
                .register("/", new OpenApiService())
                .error(MongoException.class, (req, res, e) -> {
                    if (e instanceof MongoTimeoutException || e instanceof MongoSocketException) {
                        ProblemException unavailable = Problems.unavailable(
                                "file storage is unavailable right now; try again shortly", 10);
                        Problems.send(req, res, unavailable.problem(), unavailable);
                    } else {
                        LOG.log(java.util.logging.Level.SEVERE, "MongoDB error", e);
                        Problems.send(req, res, Problem.of(500, "internal", "Internal error",
                                "something went wrong on our side; it has been logged"), null);
                    }
                });
    }

    public JobStore jobs() {
        return jobs;
    }

    public MongoConnection mongo() {
        return mongo;
    }


    @Override
    public void close() {
        retention.close();
        relay.close();
        environment.close();
        mongo.close();
    }
}
