package com.mp3converter.common.server;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;

import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * The JVM's and the process's meters under the names dashboards for JVMs already use ({@code jvm_memory_used_bytes},
 * {@code jvm_gc_pause_seconds}, {@code jvm_threads_live_threads}, {@code process_cpu_usage} ...): Micrometer's
 * binders on the registry Helidon's metrics run on, all registered here at start. Once per process.
 *
 * <p>GC pauses are recorded by our own listener through Helidon's API, not by Micrometer's {@code JvmGcMetrics}: that
 * binder registers a new timer on the GC notification thread straight on the Micrometer registry the first time a
 * (gc, cause) pair is seen, taking Micrometer's lock and then Helidon 4.5's, while a request creating a meter through
 * Helidon takes them in the other order. The two met once here and froze auth for good.
 */
final class JvmMetrics {
    private static final AtomicBoolean BOUND = new AtomicBoolean();
    private static final Duration[] GC_PAUSE = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private JvmMetrics() {
    }

    static void bind() {
        if (BOUND.compareAndSet(false, true)) {
            MeterRegistry registry = Metrics.globalRegistry().unwrap(MeterRegistry.class);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new JvmInfoMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter emitter) {
                    emitter.addNotificationListener((notification, handback) -> {
                        if (notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                            gcPause(GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData()));
                        }
                    }, null, null);
                }
            }
        }
    }

    private static void gcPause(GarbageCollectionNotificationInfo info) {
        Histograms.timer("jvm.gc.pause", "Time spent in GC pause", GC_PAUSE, List.of(Tag.create("action", info.getGcAction()),
                Tag.create("cause", info.getGcCause()), Tag.create("gc", info.getGcName())))
                .record(Duration.ofMillis(info.getGcInfo().getDuration()));
    }
}
