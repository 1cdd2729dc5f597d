package com.mp3converter.transcoder.convert;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * EBU R128 / ITU-R BS.1770-4 as the audio passes: K-weighting (the standard's two biquads, computed for any
 * sample rate), 400 ms blocks every 100 ms, the absolute (−70 LUFS) and relative (−10 LU) gates, and the true
 * peak by 4× oversampling (2× from 96 kHz). Memory is flat: the blocks' energies go into a histogram of 0.01 dB
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
    private final int factor;
    private final double[][] phases;
    private final double bound;
    private final float[][] history;
    private int position;
    private int countdown;
    private double peak;

    public LoudnessMeter(int channels, int rate) {
        this.channels = channels;
        this.state = new double[channels][4];
        this.subBlock = Math.max(1, rate / 10);
        kWeighting(rate);
        factor = rate < 96_000 ? 4 : rate < 192_000 ? 2 : 1;
        phases = polyphase(factor);
        double worst = 0;
        for (double[] phase : phases) {
            double sum = 0;
            for (double tap : phase) {
                sum += Math.abs(tap);
            }
            worst = Math.max(worst, sum);
        }
        bound = worst;
        history = new float[channels][phases[0].length];
    }

    /** {@code frames} interleaved frames from the segment's start. */
    public void add(MemorySegment samples, int frames) {
        for (int i = 0; i < frames; i++) {
            float loudest = 0;
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                float x = samples.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * channels + c);
                loudest = Math.max(loudest, Math.abs(x));
                history[c][position] = x;
                double[] s = state[c];
                // the pre-filter (high shelf) then the RLB high-pass, as two direct-form II biquads
                double w = x - a[0] * s[0] - a[1] * s[1];
                double y = b[0] * w + b[1] * s[0] + b[2] * s[1];
                s[1] = s[0];
                s[0] = w;
                double v = y - a[2] * s[2] - a[3] * s[3];
                double z = v - 2 * s[2] + s[3];
                s[3] = s[2];
                s[2] = v;
                sum += z * z;
            }
            energy += sum;
            if (++inSubBlock == subBlock) {
                endSubBlock();
            }
            if (loudest * bound > peak) {
                countdown = history[0].length;
            }
            if (countdown > 0) {
                countdown--;
                truePeakAt(position);
            }
            peak = Math.max(peak, loudest);
            position = (position + 1) % history[0].length;
        }
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

    /** The interpolated values between the samples around the newest one, in every channel. */
    private void truePeakAt(int newest) {
        int length = history[0].length;
        for (int c = 0; c < channels; c++) {
            float[] h = history[c];
            for (double[] phase : phases) {
                double y = 0;
                for (int t = 0; t < phase.length; t++) {
                    y += phase[t] * h[(newest - t + length) % length];
                }
                peak = Math.max(peak, Math.abs(y));
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

    /** The true peak, linear (1.0 = full scale). */
    double truePeak() {
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
