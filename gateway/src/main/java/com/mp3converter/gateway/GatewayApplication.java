package com.mp3converter.gateway;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import com.mongodb.MongoException;
import com.mp3converter.common.events.Events;
import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Problems;
import com.mp3converter.common.mongo.Admissions;
import com.mp3converter.common.mongo.IdempotentGridFs;
import com.mp3converter.common.mongo.MongoConnection;
import com.mp3converter.common.server.Application;
import com.mp3converter.common.server.Housekeeping;
import com.mp3converter.common.server.ServiceServer;
import com.mp3converter.common.server.Startup;
import com.mp3converter.common.stream.ConfirmedProducer;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.common.stream.SingleActiveConsumer;
import com.mp3converter.common.stream.StreamSettings;
import com.mp3converter.common.stream.Topology;
import com.mp3converter.common.token.TokenVerifier;
import com.mp3converter.gateway.jobs.Job;
import com.mp3converter.gateway.jobs.JobEventsFolder;
import com.mp3converter.gateway.jobs.JobFeed;
import com.mp3converter.gateway.jobs.JobIds;
import com.mp3converter.gateway.jobs.JobState;
import com.mp3converter.gateway.jobs.DeletedJobs;
import com.mp3converter.gateway.jobs.JobStore;
import com.mp3converter.gateway.jobs.MongoOutbox;
import com.mp3converter.gateway.jobs.OutboxRelay;
import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.Environment;

import io.helidon.config.Config;
import io.helidon.webserver.http.HttpRouting;

/**
 * The public API (login proxy, streaming uploads, jobs, owner-only downloads) and the owner of the jobs: it
 * publishes {@code video.uploaded} and the outcome notices from its outboxes, and folds {@code mp3.job-events}.
 */
public final class GatewayApplication implements Application {
    private static final Logger LOG = Logger.getLogger(GatewayApplication.class.getName());
    private static final Duration CONFIRM = Duration.ofSeconds(10);

    private final Config config;
    private final Clock clock = Clock.systemUTC();
    private final MongoConnection mongo;
    private final JobStore jobs;
    private final StreamSettings streams;
    private final JobIds jobIds;
    private final Environment environment;
    private final String replica;
    private final Map<String, ConfirmedProducer> producers = new ConcurrentHashMap<>();
    private final Mp3Retention retention;
    private final JobViews views;
    private final OutboxRelay<Job> videos;
    private final OutboxRelay<Job> notices;
    private final List<OutboxRelay<?>> relays;
    private final DeletedJobs deletedJobs;
    private final JobDeleter deleter;
    private final AccountDeletions accountDeletions;
    private final InternalCaller internal;
    private final JobFeed feed = new JobFeed();
    private final URI authUrl;
    private final Revocations revocations;
    private final Caller caller;
    private final UploadPolicy policy;
    private final Transfers transfers;
    private final ResumableUploads resumable;
    private final IdempotencyKeys idempotencyKeys;
    private final TusService tus;
    private final LimitsService limits;
    private final Housekeeping[] housekeeping;
    private volatile Consumer folder;

    public GatewayApplication(Config config) {
        this.config = config;
        this.mongo = MongoConnection.from(config);
        this.jobs = new JobStore(mongo, clock, config.get("gateway.outbox.lease").as(Duration.class).get());
        this.streams = StreamSettings.from(config);
        this.environment = streams.environment("gateway");
        this.replica = config.get("gateway.replica-name").asString().filter(s -> !s.isBlank())
                .orElse("gateway-" + Startup.hostName());
        this.retention = new Mp3Retention(jobs, mongo, config.get("media.mp3-retention").as(Duration.class).get(), clock);
        this.views = new JobViews(retention);
        Duration outboxLease = config.get("gateway.outbox.lease").as(Duration.class).get();
        this.deletedJobs = new DeletedJobs(mongo, outboxLease, clock);
        this.deleter = new JobDeleter(jobs, deletedJobs, mongo);
        this.internal = InternalCaller.from(config);
        MongoOutbox<Job> videoBox = jobs.outbox(JobStore.Outbox.VIDEO);
        MongoOutbox<Job> noticeBox = jobs.outbox(JobStore.Outbox.NOTICE);
        this.videos = new OutboxRelay<>(videoBox, replica,
                job -> producer(videoBox, streams.videoPartitionOf(job.id()), streams.videos()), this::videoUploaded, clock);
        this.notices = new OutboxRelay<>(noticeBox, replica,
                job -> producer(noticeBox, streams.notifications(), streams.notifications()), this::notice, clock);
        this.authUrl = URI.create(config.get("auth.url").asString().get());
        this.revocations = new Revocations(authUrl, config.get("gateway.revocations-poll").as(Duration.class).get(), clock);
        Config auth = config.get("auth");
        JwksKeys keys = new JwksKeys(authUrl.resolve("/.well-known/jwks.json"), clock,
                auth.get("jwks.min-refetch").as(Duration.class).get(), auth.get("jwks.max-age").as(Duration.class).get());
        this.caller = new Caller(new TokenVerifier(keys, auth.get("issuer").asString().get(),
                auth.get("audience").asString().get(), clock), revocations);
        Config gateway = config.get("gateway");
        Duration uploadLease = gateway.get("upload.lease").as(Duration.class).get();
        this.jobIds = new JobIds(streams);
        this.resumable = new ResumableUploads(mongo, clock, gateway.get("tus.expiry").as(Duration.class).get(), uploadLease,
                jobIds);
        this.idempotencyKeys = new IdempotencyKeys(mongo, uploadLease, clock, jobIds);
        UploadPolicy.Limits limits = new UploadPolicy.Limits(gateway.get("upload.max-bytes").asLong().get(),
                gateway.get("quota.max-bytes-stored").asLong().get(), gateway.get("quota.max-jobs-in-flight").asInt().get());
        this.policy = new UploadPolicy(limits, jobs, resumable::unfinishedBytes, resumable::unfinishedCount,
                new Admissions(mongo.database().getCollection("upload_admissions"), uploadLease, Duration.ofSeconds(5), clock));
        this.limits = new LimitsService(limits, config.get("media.mp3-retention").as(Duration.class).get(),
                gateway.get("tus.expiry").as(Duration.class).get());
        this.transfers = new Transfers(gateway.get("transfers.max-at-once").asInt().get(),
                gateway.get("transfers.wait").as(Duration.class).get());
        this.tus = new TusService(caller, resumable, jobs, videos, policy, clock, transfers);
        this.accountDeletions = new AccountDeletions(mongo, outboxLease, jobs, deleter, resumable, idempotencyKeys, authUrl,
                auth.get("timeout").as(Duration.class).get(), internal, clock);
        MongoOutbox<DeletedJobs.Deleted> toTranscoder = deletedJobs.toTranscoder();
        MongoOutbox<DeletedJobs.Deleted> toMailer = deletedJobs.toMailer();
        MongoOutbox<AccountDeletions.Requested> accountsToMailer = accountDeletions.toMailer();
        this.relays = List.of(videos, notices,
                new OutboxRelay<>(toTranscoder, replica, job -> producer(toTranscoder, streams.videoPartitionOf(job.jobId()),
                        streams.videos()), this::jobDeleted, clock),
                new OutboxRelay<>(toMailer, replica, job -> producer(toMailer, streams.notifications(),
                        streams.notifications()), this::jobDeleted, clock),
                new OutboxRelay<>(accountsToMailer, replica, account -> producer(accountsToMailer, streams.notifications(),
                        streams.notifications()), this::accountDeleted, clock));
        Duration keysKept = gateway.get("idempotency-keys.keep").as(Duration.class).get();
        this.housekeeping = new Housekeeping[] {
                new Housekeeping("mp3-retention", "MP3s past their retention", retention::run),
                new Housekeeping("upload-expiry", "expired uploads", tus::sweep),
                new Housekeeping("account-deletions", "deleted accounts' data", accountDeletions::run),
                new Housekeeping("bookkeeping-expiry", "deletions told and idempotency keys past their lifetime",
                        () -> deletedJobs.sweep() + idempotencyKeys.expire(keysKept))};
        GatewayMetrics.jobsByState(jobs::countInState);
        GatewayMetrics.initialize();
    }

    public static void main(String[] args) {
        ServiceServer.run("gateway", GatewayApplication::new);
    }

    @Override
    public String name() {
        return "gateway";
    }

    @Override
    public Map<String, BooleanSupplier> readiness() {
        return Map.of("mongodb", mongo::reachable);
    }

    /** Indexes, topology, relays, the fold and the live feed; while MongoDB or RabbitMQ is down, uploads wait in the outbox. */
    @Override
    public void start() {
        revocations.start();
        Startup.retryInBackground("gateway-start", () -> {
            jobs.createIndexes();
            deletedJobs.createIndexes();
            accountDeletions.createIndexes();
            new IdempotentGridFs(mongo.database(), MongoConnection.MP3_BUCKET).createIndexes();
            Topology.declare(environment, streams);
            relays.forEach(OutboxRelay::start);
            feed.start(environment, streams.jobEvents());
            folder = SingleActiveConsumer.onStream(environment, streams.jobEvents(), "gateway",
                    new JobEventsFolder(jobs, mongo, notices::wake));
            resumable.createIndexes();
            housekeeping[0].every(Duration.ofMinutes(10));
            housekeeping[1].every(config.get("gateway.tus.sweep").as(Duration.class).get());
            housekeeping[2].every(config.get("gateway.account-deletions.pass").as(Duration.class).get());
            housekeeping[3].every(config.get("gateway.account-deletions.pass").as(Duration.class).get());
            LOG.info(() -> "gateway folding " + streams.jobEvents() + " and relaying as " + replica);
        });
    }

    @Override
    public void routing(HttpRouting.Builder rules) {
        Config auth = config.get("auth");
        Config gateway = config.get("gateway");
        Mp3Sender mp3 = new Mp3Sender(mongo, gateway.get("downloads.max-per-user").asInt().get(), transfers);
        AuthProxy authProxy = new AuthProxy(authUrl, auth.get("timeout").as(Duration.class).get(),
                gateway.get("trusted-proxies").asInt().get());
        JobService.Events events = new JobService.Events(gateway.get("events.keep-alive").as(Duration.class).get(),
                gateway.get("events.retry").as(Duration.class).get(), gateway.get("events.timeout").as(Duration.class).get(),
                gateway.get("events.max-per-user").asInt().get());
        rules.addFilter(new NoStoreByDefault())
                .register("/", PageService.fromResources())
                .register("/", limits)
                .register("/", authProxy)
                .register("/", new AccountService(authUrl, auth.get("timeout").as(Duration.class).get(),
                        gateway.get("trusted-proxies").asInt().get(), caller, revocations, accountDeletions,
                        housekeeping[2]::runSoon))
                .register("/", new UploadService(caller, jobs, idempotencyKeys, resumable, mongo, videos, policy, clock, jobIds,
                        transfers))
                .register("/files", tus)
                .register("/webhooks", new WebhooksProxy(caller, URI.create(config.get("mailer.url").asString().get()),
                        config.get("mailer.timeout").as(Duration.class).get(), internal))
                .register("/jobs", new JobService(caller, jobs, views, deleter, mp3, feed, events))
                .register("/", new DownloadService(caller, jobs, mp3))
                .register("/", new OpenApiService())
                .error(MongoException.class, (req, res, e) -> {
                    if (MongoConnection.unreachable(e)) {
                        Problems.unavailable(req, res, "file storage");
                    } else {
                        Problems.internal(req, res, e);
                    }
                });
    }

    /** The relay's own named producer for a stream: two relays must never share one (see OutboxRelay). */
    private ConfirmedProducer producer(MongoOutbox<?> box, String stream, String destination) {
        String name = replica + "-" + box.name() + "-" + stream;
        return producers.computeIfAbsent(name, n -> ConfirmedProducer.named(environment, stream, destination, n, CONFIRM));
    }

    private EventMessage.Builder jobDeleted(DeletedJobs.Deleted job) {
        Events.JobDeleted event = new Events.JobDeleted(job.jobId(), job.ownerId(), job.at());
        return headers -> EventMessage.of(Events.JOB_DELETED, job.jobId(), "deleted", event, headers);
    }

    private EventMessage.Builder accountDeleted(AccountDeletions.Requested account) {
        Events.AccountDeleted event = new Events.AccountDeleted(account.userId(), account.at());
        return headers -> EventMessage.of(Events.ACCOUNT_DELETED, account.userId(), "deleted", event, headers);
    }

    private EventMessage.Builder videoUploaded(Job job) {
        Events.VideoUploaded event = new Events.VideoUploaded(job.id(), job.videoFileId(), job.owner().userId(),
                job.sourceName(), job.sourceBytes(), job.options(), job.createdAt());
        return headers -> EventMessage.of(Events.VIDEO_UPLOADED, job.id(), 1, event, headers);
    }

    private EventMessage.Builder notice(Job job) {
        String type = job.state() == JobState.DONE ? Events.JOB_DONE : Events.JOB_FAILED;
        Events.JobOutcome outcome = views.outcome(job);
        return headers -> EventMessage.of(type, job.id(), job.attempts(), outcome, headers);
    }

    @Override
    public void close() {
        revocations.close();
        for (Housekeeping each : housekeeping) {
            each.close();
        }
        relays.forEach(OutboxRelay::close);
        if (folder != null) {
            folder.close();
        }
        feed.close();
        producers.values().forEach(ConfirmedProducer::close);
        environment.close();
        mongo.close();
    }
}
