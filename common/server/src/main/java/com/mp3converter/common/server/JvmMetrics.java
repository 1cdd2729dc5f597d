package com.mp3converter.common.server;

import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.metrics.api.Metrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * The JVM's and the process's meters under the names dashboards for JVMs already use ({@code jvm_memory_used_bytes},
 * {@code jvm_gc_pause_seconds}, {@code jvm_threads_live_threads}, {@code process_cpu_usage} ...): Micrometer's
 * binders on the registry Helidon's metrics run on. Once per process.
 */
final class JvmMetrics {
    private static final AtomicBoolean BOUND = new AtomicBoolean();

    private JvmMetrics() {
    }

    @SuppressWarnings("resource") // the GC listener lives as long as the process
    static void bind() {
        if (BOUND.compareAndSet(false, true)) {
            MeterRegistry registry = Metrics.globalRegistry().unwrap(MeterRegistry.class);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmGcMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new JvmInfoMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
        }
    }
}
