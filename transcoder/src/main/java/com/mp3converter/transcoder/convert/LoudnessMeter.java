package com.mp3converter.transcoder.convert;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * EBU R128 / ITU-R BS.1770-4 as the audio passes: K-weighting (the standard's two biquads, computed for any
 * sample rate), 400 ms blocks every 100 ms, the absolute (−70 LUFS) and relative (−10 LU) gates, and the peak:
 * the sample peak (ReplayGain's, cheap beside LAME) or the true peak by 4× oversampling (2× from 96 kHz; what
 * normalisation holds under its ceiling). Memory is flat: the blocks' energies go into a histogram of 0.01 dB
 * bins, and the oversampling is done only where a peak could beat the one found so far. Channels: one or two,
 * interleaved floats, each weighted 1.0 as the standard weighs left and right.
 */
public final class LoudnessMeter {
    private static final double MIN_LUFS = -70;
    private static final double BIN = 0.01;
    private static final int BINS = (int) ((30 - MIN_LUFS) / BIN);
    private static final int TAPS = 49;

    private final int channels;
    private final double[] b = new double[5];
    private final double[] a = new double[4];
    private final double[][] state;
    private final int subBlock;
    private final double[] subBlocks = new double[4];
    private int subBlocksSeen;
    private double energy;
    private int inSubBlock;
    private final double[] binEnergy = new double[BINS];
    private final long[] binCount = new long[BINS];
    private final boolean truePeak;
    private final double[][] phases;
    private final double bound;
    /** Per channel, the last samples twice over (at i and i + taps), so a window is one run without wrapping. */
    private final float[][] history;
    private final int[] position;
    private final int[] countdown;
    private double peak;

    /** With {@code truePeak}, the peak is measured by oversampling; otherwise it is the sample peak. */
    public LoudnessMeter(int channels, int rate, boolean truePeak) {
        this.channels = channels;
        this.state = new double[channels][4];
        this.subBlock = Math.max(1, rate / 10);
        this.truePeak = truePeak;
        kWeighting(rate);
        phases = polyphase(rate < 96_000 ? 4 : rate < 192_000 ? 2 : 1);
        double worst = 0;
        for (double[] phase : phases) {
            double sum = 0;
            for (double tap : phase) {
                sum += Math.abs(tap);
            }
            worst = Math.max(worst, sum);
        }
        bound = worst;
        history = new float[channels][2 * phases[0].length];
        position = new int[channels];
        countdown = new int[channels];
    }

    /** {@code frames} interleaved frames from the segment's start. */
    public void add(MemorySegment samples, int frames) {
        for (int done = 0; done < frames; ) {
            int n = Math.min(frames - done, subBlock - inSubBlock);
            for (int c = 0; c < channels; c++) {
                energy += weighted(samples, done, n, c);
                if (truePeak) {
                    truePeak(samples, done, n, c);
                } else {
                    samplePeak(samples, done, n, c);
                }
            }
            done += n;
            inSubBlock += n;
            if (inSubBlock == subBlock) {
                endSubBlock();
            }
        }
    }

    /** The sum of the squares of channel {@code c}'s K-weighted samples: the pre-filter then the RLB high-pass. */
    private double weighted(MemorySegment samples, int from, int n, int c) {
        double[] s = state[c];
        double s0 = s[0];
        double s1 = s[1];
        double s2 = s[2];
        double s3 = s[3];
        double sum = 0;
        for (int i = from, end = from + n; i < end; i++) {
            double x = samples.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * channels + c);
            double w = x - a[0] * s0 - a[1] * s1;
            double y = b[0] * w + b[1] * s0 + b[2] * s1;
            s1 = s0;
            s0 = w;
            double v = y - a[2] * s2 - a[3] * s3;
            double z = v - 2 * s2 + s3;
            s3 = s2;
            s2 = v;
            sum += z * z;
        }
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        return sum;
    }

    private void samplePeak(MemorySegment samples, int from, int n, int c) {
        double max = peak;
        for (int i = from, end = from + n; i < end; i++) {
            max = Math.max(max, Math.abs(samples.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * channels + c)));
        }
        peak = max;
    }

    /**
     * The oversampled values around each sample, computed only while a sample loud enough to beat the peak so far
     * (even with the interpolator's largest gain) is within the interpolator's reach.
     */
    private void truePeak(MemorySegment samples, int from, int n, int c) {
        float[] h = history[c];
        int taps = h.length / 2;
        int at = position[c];
        int left = countdown[c];
        for (int i = from, end = from + n; i < end; i++) {
            float x = samples.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * channels + c);
            at = at + 1 == taps ? 0 : at + 1;
            h[at] = x;
            h[at + taps] = x;
            double loud = Math.abs(x);
            if (loud > peak) {
                peak = loud;
            }
            if (loud * bound > peak) {
                left = taps;
            }
            if (left > 0) {
                left--;
                // the newest sample is at at + taps, the window runs back from it; phase 0 is a sample itself
                int newest = at + taps;
                for (int p = 1; p < phases.length; p++) {
                    double[] phase = phases[p];
                    double y = 0;
                    for (int t = 0; t < taps; t++) {
                        y += phase[t] * h[newest - t];
                    }
                    double magnitude = Math.abs(y);
                    if (magnitude > peak) {
                        peak = magnitude;
                    }
                }
            }
        }
        position[c] = at;
        countdown[c] = left;
    }

    private void endSubBlock() {
        subBlocks[subBlocksSeen % 4] = energy;
        subBlocksSeen++;
        energy = 0;
        inSubBlock = 0;
        if (subBlocksSeen >= 4) {
            double block = (subBlocks[0] + subBlocks[1] + subBlocks[2] + subBlocks[3]) / (4.0 * subBlock);
            double lufs = loudness(block);
            if (lufs > MIN_LUFS) {
                int bin = (int) Math.min(BINS - 1, (lufs - MIN_LUFS) / BIN);
                binEnergy[bin] += block;
                binCount[bin]++;
            }
        }
    }

    /** The integrated loudness in LUFS, or negative infinity when nothing passed the gates (silence, under 0.4 s). */
    double integrated() {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < BINS; i++) {
            sum += binEnergy[i];
            count += binCount[i];
        }
        if (count == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        double relativeGate = loudness(sum / count) - 10;
        sum = 0;
        count = 0;
        for (int i = Math.max(0, (int) Math.ceil((relativeGate - MIN_LUFS) / BIN)); i < BINS; i++) {
            sum += binEnergy[i];
            count += binCount[i];
        }
        return count == 0 ? Double.NEGATIVE_INFINITY : loudness(sum / count);
    }

    /** The (true or sample) peak, linear (1.0 = full scale). */
    double peak() {
        return peak;
    }

    private static double loudness(double meanSquare) {
        return -0.691 + 10 * Math.log10(meanSquare);
    }

    /** BS.1770's K-weighting for this rate, by the bilinear transform of its analogue prototype. */
    private void kWeighting(int rate) {
        double f0 = 1681.974450955533;
        double gain = 3.999843853973347;
        double q = 0.7071752369554196;
        double k = Math.tan(Math.PI * f0 / rate);
        double vh = Math.pow(10, gain / 20);
        double vb = Math.pow(vh, 0.4996667741545416);
        double a0 = 1 + k / q + k * k;
        b[0] = (vh + vb * k / q + k * k) / a0;
        b[1] = 2 * (k * k - vh) / a0;
        b[2] = (vh - vb * k / q + k * k) / a0;
        a[0] = 2 * (k * k - 1) / a0;
        a[1] = (1 - k / q + k * k) / a0;
        f0 = 38.13547087602444;
        q = 0.5003270373238773;
        k = Math.tan(Math.PI * f0 / rate);
        a0 = 1 + k / q + k * k;
        a[2] = 2 * (k * k - 1) / a0;
        a[3] = (1 - k / q + k * k) / a0;
    }

    /** A Hann-windowed sinc interpolator of {@value #TAPS} taps, split into its phases (libebur128's design). */
    private static double[][] polyphase(int factor) {
        int perPhase = (TAPS + factor - 1) / factor;
        double[][] phases = new double[factor][perPhase];
        for (int j = 0; j < TAPS; j++) {
            double m = j - (TAPS - 1) / 2.0;
            double sinc = m == 0 ? 1 : Math.sin(Math.PI * m / factor) / (Math.PI * m / factor);
            double window = 0.5 * (1 - Math.cos(2 * Math.PI * j / (TAPS - 1)));
            phases[j % factor][j / factor] = sinc * window;
        }
        return phases;
    }
}
