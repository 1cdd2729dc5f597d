package com.mp3converter.gateway.upload;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Optional;

import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.TestMedia;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The first bytes of real media files, made by FFmpeg, and of files that only pretend by their names. */
class MediaSnifferTest {
    @Test
    void everyContainerTheTestsConvertIsRecognisedByItsBytesNotItsName() throws Exception {
        for (Sample sample : Sample.values()) {
            byte[] head = head(sample);
            assertThat(sample.fileName(), MediaSniffer.sniff(head, head.length).isPresent(), is(true));
        }
        assertThat("WebM named .mp4 is Matroska", sniff(head(Sample.WEBM_NAMED_MP4)), is(Optional.of("video/x-matroska")));
        assertThat(sniff(head(Sample.MP4_H264_AAC)), is(Optional.of("video/mp4")));
        assertThat(sniff(head(Sample.AVI_MPEG4_MP3)), is(Optional.of("video/x-msvideo")));
        assertThat(sniff(head(Sample.WAV_22K)), is(Optional.of("audio/wav")));
        assertThat(sniff(head(Sample.OGG_OPUS_51)), is(Optional.of("audio/ogg")));
        assertThat(sniff(head(Sample.FLAC_96K_MONO)), is(Optional.of("audio/flac")));
        assertThat(sniff(head(Sample.MP3_CBR)), is(Optional.of("audio/mpeg")));
        assertThat(sniff(head(Sample.TS_MPEG2_MP2)), is(Optional.of("video/mp2t")));
    }

    @Test
    void documentsImagesArchivesAndTextAreNotMedia() {
        for (String notMedia : new String[] {"%PDF-1.7\n%âãÏÓ\n1 0 obj", "\u0089PNG\r\n\u001a\n\0\0\0\rIHDR", "PK\u0003\u0004\u0014\0\0\0",
                "<!doctype html><html>", "#EXTM3U\n#EXT-X-VERSION:3\nhttp://example.com/a.ts", "hello, not a video at all",
                "RIFF\u0010\0\0\0WEBPVP8 ", "GIF89a\u0001\0\u0001\0"}) {
            byte[] bytes = notMedia.getBytes(StandardCharsets.ISO_8859_1);
            assertThat(notMedia, sniff(bytes), is(Optional.empty()));
        }
    }

    @Test
    void tooFewBytesAreNeverMistakenForMedia() throws Exception {
        assertThat(MediaSniffer.sniff(new byte[0], 0), is(Optional.empty()));
        byte[] mp4 = head(Sample.MP4_H264_AAC);
        assertThat("a signature cut short", MediaSniffer.sniff(Arrays.copyOf(mp4, 6), 6), is(Optional.empty()));
        assertThat("the length given, not the array's, counts", MediaSniffer.sniff(mp4, 3), is(Optional.empty()));
    }

    private static Optional<String> sniff(byte[] head) {
        return MediaSniffer.sniff(head, head.length);
    }

    private static byte[] head(Sample sample) throws Exception {
        try (InputStream in = Files.newInputStream(TestMedia.path(sample))) {
            return in.readNBytes(MediaSniffer.BYTES_NEEDED);
        }
    }
}
