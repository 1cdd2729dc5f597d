package com.mp3converter.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU seconds spent by the whole machine and by some of its processes, sampled every 100 ms from /proc on a thread of
 * its own, so a window known only afterwards (a batch's first start to its last end) can be read back.
 */
final class CpuSampler implements AutoCloseable {
    private static final double TICKS_PER_SECOND = ticksPerSecond();

    record Sample(Instant at, double machine, double processes) {
    }

    /** CPU seconds in a window: all the machine's, and the sampled processes' share of them. */
    record Window(double machine, double processes) {
        double rest() {
            return machine - processes;
        }
    }

    private final List<Long> pids;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread sampler;

    CpuSampler(List<Long> pids) {
        this.pids = List.copyOf(pids);
        sampler = Thread.ofPlatform().daemon().name("cpu-sampler").start(this::sampleUntilInterrupted);
    }

    Window between(Instant from, Instant to) {
        synchronized (samples) {
            Sample first = nearest(from);
            Sample last = nearest(to);
            return new Window(last.machine - first.machine, last.processes - first.processes);
        }
    }

    private Sample nearest(Instant at) {
        Sample best = samples.getFirst();
        for (Sample sample : samples) {
            if (distance(sample, at) < distance(best, at)) {
                best = sample;
            }
        }
        return best;
    }

    private static long distance(Sample sample, Instant at) {
        return Math.abs(sample.at.toEpochMilli() - at.toEpochMilli());
    }

    private void sampleUntilInterrupted() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Sample sample = new Sample(Instant.now(), machineSeconds(), processSeconds());
                synchronized (samples) {
                    samples.add(sample);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc", e);
        }
    }

    /** user, nice, system, irq, softirq and steal of every CPU (the first line of /proc/stat; not idle, not iowait). */
    private static double machineSeconds() throws IOException {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
            busy += Long.parseLong(fields[i]);
        }
        return busy / TICKS_PER_SECOND;
    }

    /** utime + stime of each process (fields 14 and 15 of /proc/PID/stat; the command, in parentheses, may hold spaces). */
    private double processSeconds() throws IOException {
        long ticks = 0;
        for (long pid : pids) {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        }
        return ticks / TICKS_PER_SECOND;
    }

    private static double ticksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            return Double.parseDouble(new String(getconf.getInputStream().readAllBytes()).trim());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the clock tick rate", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        sampler.interrupt();
        sampler.join();
    }
}
