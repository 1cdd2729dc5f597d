package com.mp3converter.testmedia;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The test media, generated on first use into {@code .local/test-media} (or {@code -Dtest.media.dir}) and kept:
 * each file lives under a hash of its recipe, so a changed recipe makes a new file. Generation holds a file
 * lock, so the tests, the benchmarks and the demo can ask at the same time.
 * <p>{@code java -cp ... com.mp3converter.testmedia.TestMedia [FILE_NAME]} prints the path of a sample
 * (generating it), or lists the samples.
 */
public final class TestMedia {
    private TestMedia() {
    }

    /** The sample's file, generated when missing. */
    public static Path path(Sample sample) {
        return generated(sample.fileName(), sample.recipe(), sample == Sample.TRUNCATED_3GP ? Sample.TRUNCATED_KEEP : 1);
    }

    /**
     * A 1280x720 H.264 + AAC stereo 48 kHz video of this length with tags and a chapter a minute (no picture of its
     * own, so a frame becomes the cover): the benchmarks' input (the size and codecs of a typical upload).
     */
    public static Path longVideo(Duration length) {
        long seconds = length.toSeconds();
        List<SourceTags.Chapter> chapters = new ArrayList<>();
        for (long start = 0; start < seconds; start += 60) {
            chapters.add(new SourceTags.Chapter(start * 1000, Math.min(seconds, start + 60) * 1000, "Minute " + (start / 60 + 1)));
        }
        List<String> recipe = new ArrayList<>(List.of("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000,aformat=channel_layouts=stereo"));
        recipe.addAll(SourceTags.input(chapters));
        recipe.addAll(List.of("-map", "0:v", "-map", "1:a", "-map_metadata", "2", "-map_chapters", "2",
                "-t", Long.toString(seconds), "-c:v", "libopenh264", "-b:v", "2M", "-c:a", "aac", "-b:a", "128k"));
        return generated("h264-aac-720p-tagged-" + seconds + "s.mp4", recipe, 1);
    }

    /**
     * A stereo 44.1 kHz FLAC of silence this long: a few dozen bytes per second of sound (security finding #27-3:
     * the upload's size does not bound the work). {@code lengthKnown} false: its header says its length is unknown,
     * as a FLAC streamed to a pipe does, so only decoding finds how long it is.
     */
    public static Path silentFlac(Duration length, boolean lengthKnown) {
        long seconds = length.toSeconds();
        Path flac = generated("silence-" + seconds + "s.flac", List.of("-f", "lavfi", "-i",
                "anullsrc=r=44100:cl=stereo", "-t", Long.toString(seconds), "-c:a", "flac"), 1);
        if (lengthKnown) {
            return flac;
        }
        Path unknown = flac.resolveSibling("silence-" + seconds + "s-length-unknown.flac");
        return underLock(unknown, () -> {
            byte[] bytes = Files.readAllBytes(flac);
            // STREAMINFO follows "fLaC" and its 4-byte block header; its total samples are the low 36 bits of bytes 13..17
            bytes[8 + 13] &= (byte) 0xf0;
            java.util.Arrays.fill(bytes, 8 + 14, 8 + 18, (byte) 0);
            Path partial = unknown.resolveSibling("partial-" + unknown.getFileName());
            Files.write(partial, bytes);
            Files.move(partial, unknown, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        });
    }

    /** A 16-bit stereo 44.1 kHz WAV of a sine tone: long conversions without a long upload of video. */
    public static Path longWav(Duration length) {
        Path file = dir().resolve("wav-" + length.toSeconds() + "s").resolve("tone-" + length.toSeconds() + "s.wav");
        return underLock(file, () -> writeWav(file, length));
    }

    public static Path dir() {
        String configured = System.getProperty("test.media.dir");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("repo.root", ".")).resolve(".local/test-media").toAbsolutePath().normalize();
    }

    private static Path generated(String fileName, List<String> recipe, double keep) {
        Path file = dir().resolve(hash(fileName, recipe, keep)).resolve(fileName);
        return underLock(file, () -> {
            Path partial = file.resolveSibling("partial-" + fileName);
            List<String> args = new ArrayList<>(recipe);
            args.add(partial.toString());
            new BundledFfmpeg(dir()).run(args);
            if (keep < 1) {
                try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                    channel.truncate((long) (channel.size() * keep));
                }
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        });
    }

    @FunctionalInterface
    private interface Maker {
        void make() throws IOException, InterruptedException;
    }

    private static Path underLock(Path file, Maker maker) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel lock = FileChannel.open(file.resolveSibling(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lock.lock()) {
                if (!Files.isRegularFile(file)) {
                    maker.make();
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the test media " + file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making " + file, e);
        }
    }

    private static void writeWav(Path file, Duration length) throws IOException {
        int rate = 44_100;
        long frames = length.toSeconds() * rate;
        long dataBytes = frames * 4;
        Path partial = file.resolveSibling("partial-" + file.getFileName());
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
            header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) (36 + dataBytes))
                    .put("WAVE".getBytes(StandardCharsets.US_ASCII)).put("fmt ".getBytes(StandardCharsets.US_ASCII))
                    .putInt(16).putShort((short) 1).putShort((short) 2).putInt(rate).putInt(rate * 4)
                    .putShort((short) 4).putShort((short) 16).put("data".getBytes(StandardCharsets.US_ASCII))
                    .putInt((int) dataBytes).flip();
            out.write(header);
            ByteBuffer second = ByteBuffer.allocate(rate * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < rate; i++) {
                short sample = (short) (Math.sin(2 * Math.PI * 440 * i / rate) * 8000);
                second.putShort(sample).putShort(sample);
            }
            second.flip();
            for (long s = 0; s < length.toSeconds(); s++) {
                out.write(second.rewind());
            }
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String hash(String fileName, List<String> recipe, double keep) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((fileName + "\n" + String.join("\n", recipe) + "\n" + keep).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            for (Sample sample : Sample.values()) {
                System.out.println(sample.fileName());
            }
            return;
        }
        for (Sample sample : Sample.values()) {
            if (sample.fileName().equals(args[0])) {
                System.out.println(path(sample));
                return;
            }
        }
        System.err.println("no sample named " + args[0] + "; run without arguments for the list");
        System.exit(2);
    }
}
