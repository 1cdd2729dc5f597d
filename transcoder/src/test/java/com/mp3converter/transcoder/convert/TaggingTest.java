package com.mp3converter.transcoder.convert;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.mp3converter.testmedia.Sample;
import com.mp3converter.testmedia.SourceTags;
import com.mp3converter.testmedia.TestMedia;

import org.jaudiotagger.audio.AudioFileIO;
import org.jaudiotagger.audio.mp3.MP3File;
import org.jaudiotagger.tag.FieldKey;
import org.jaudiotagger.tag.id3.AbstractID3v2Tag;
import org.jaudiotagger.tag.id3.ID3v23Tag;
import org.jaudiotagger.tag.images.Artwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;

/**
 * What an MP3 carries about its source, read back by readers we did not write: jaudiotagger for the ID3v2.3 tag
 * (text, picture) and Debian's ffprobe for the chapters; ReplayGain against Debian's ffmpeg's ebur128.
 */
class TaggingTest {
    private final Mp3Converter converter = new Mp3Converter();

    @TempDir
    Path temp;

    @BeforeAll
    static void quietJaudiotagger() {
        Logger.getLogger("org.jaudiotagger").setLevel(Level.WARNING);
    }

    @Test
    void aVideosTagsCoverAndChaptersAreInTheMp3() throws Exception {
        Path source = TestMedia.path(Sample.MP4_TAGGED_COVER_CHAPTERS);
        Path mp3 = temp.resolve("tagged.mp3");
        Mp3Converter.Result result = converter.convert(source, mp3, Mp3Converter.Options.DEFAULT, "file name", p -> { });
        assertThat(result.warnings(), is(empty()));

        AbstractID3v2Tag tag = id3(mp3);
        assertThat("ID3v2.3, what Windows and older players read", tag, instanceOf(ID3v23Tag.class));
        assertThat(tag.getFirst(FieldKey.TITLE), is(SourceTags.TITLE));
        assertThat(tag.getFirst(FieldKey.ARTIST), is(SourceTags.ARTIST));
        assertThat(tag.getFirst(FieldKey.ALBUM), is(SourceTags.ALBUM));
        assertThat(tag.getFirst(FieldKey.ALBUM_ARTIST), is(SourceTags.ALBUM_ARTIST));
        assertThat("TYER and TDAT, read together", tag.getFirst(FieldKey.YEAR), is(SourceTags.DATE));
        assertThat(tag.getFirst(FieldKey.GENRE), is(SourceTags.GENRE));
        assertThat(tag.getFirst(FieldKey.TRACK), is("3"));
        assertThat(tag.getFirst(FieldKey.TRACK_TOTAL), is("12"));
        assertThat(tag.getFirst(FieldKey.COMMENT), is(SourceTags.COMMENT));

        Artwork cover = tag.getFirstArtwork();
        assertThat(cover.getMimeType(), is("image/jpeg"));
        assertThat(cover.getPictureType(), is(3));
        BufferedImage picture = jpeg(cover.getBinaryData());
        assertThat("the source's own 500x500 cover, not a 320x240 frame", picture.getWidth(), is(500));
        assertThat(picture.getHeight(), is(500));

        assertChapters(mp3, SourceTags.CHAPTERS, 0, result.durationSeconds());
        assertReplayGainAgreesWithFfmpeg(mp3);
    }

    @Test
    void matroskaTagsAndChaptersAndAFrameThatIsNotTheBlackFirstOne() throws Exception {
        Path mp3 = temp.resolve("mkv.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.MKV_TAGGED_FADE_IN), mp3,
                Mp3Converter.Options.DEFAULT, "file name", p -> { });
        AbstractID3v2Tag tag = id3(mp3);
        assertThat(tag.getFirst(FieldKey.TITLE), is(SourceTags.TITLE));
        assertThat(tag.getFirst(FieldKey.ARTIST), is(SourceTags.ARTIST));
        assertThat("Matroska keeps a file's language (MP4 only a track's)", tag.getFirst(FieldKey.LANGUAGE),
                is(SourceTags.LANGUAGE));
        Artwork cover = tag.getFirstArtwork();
        assertThat(cover.getMimeType(), is("image/jpeg"));
        BufferedImage frame = jpeg(cover.getBinaryData());
        assertThat("640x360 scaled to at most 600 px", frame.getWidth(), is(600));
        assertThat(frame.getHeight(), is(338));
        assertThat("the video fades in from black: the thumbnail filter picks a frame with a picture",
                meanLuma(frame), greaterThan(60.0));
        assertChapters(mp3, SourceTags.CHAPTERS, 0, result.durationSeconds());
    }

    @Test
    void oggCommentsAndAFlacPictureAreKept() throws Exception {
        Path ogg = temp.resolve("ogg.mp3");
        converter.convert(TestMedia.path(Sample.OGG_VORBIS_COMMENTS), ogg, Mp3Converter.Options.DEFAULT, "file", p -> { });
        assertThat(id3(ogg).getFirst(FieldKey.ALBUM), is(SourceTags.ALBUM));
        assertThat("audio only, no picture: no cover", id3(ogg).getFirstArtwork(), is(nullValue()));

        Path flac = temp.resolve("flac.mp3");
        converter.convert(TestMedia.path(Sample.FLAC_PNG_PICTURE), flac, Mp3Converter.Options.DEFAULT, "flac name", p -> { });
        AbstractID3v2Tag tag = id3(flac);
        assertThat("no title in the source: the file's name", tag.getFirst(FieldKey.TITLE), is("flac name"));
        assertThat(tag.getFirstArtwork().getMimeType(), is("image/png"));
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(tag.getFirstArtwork().getBinaryData()));
        assertThat(png.getWidth(), is(300));
        assertThat(png.getHeight(), is(200));
        assertThat(DebianFfmpeg.probe(flac).path("chapters").size(), is(0));
    }

    @Test
    void theOwnersTitleArtistAndCoverChoiceWin() throws Exception {
        Path mp3 = temp.resolve("override.mp3");
        converter.convert(TestMedia.path(Sample.MP4_TAGGED_COVER_CHAPTERS), mp3, new Mp3Converter.Options(null, null,
                "Mon titre", "Ана", Mp3Converter.Cover.FRAME, null, null, null), "file", p -> { });
        AbstractID3v2Tag tag = id3(mp3);
        assertThat(tag.getFirst(FieldKey.TITLE), is("Mon titre"));
        assertThat(tag.getFirst(FieldKey.ARTIST), is("Ана"));
        assertThat(tag.getFirst(FieldKey.ALBUM), is(SourceTags.ALBUM));
        BufferedImage frame = jpeg(tag.getFirstArtwork().getBinaryData());
        assertThat("cover=frame: the 320x240 video, not the 500x500 picture", frame.getWidth(), is(320));

        Path none = temp.resolve("none.mp3");
        converter.convert(TestMedia.path(Sample.MP4_TAGGED_COVER_CHAPTERS), none, new Mp3Converter.Options(null, null,
                null, null, Mp3Converter.Cover.NONE, null, null, null), "file", p -> { });
        assertThat(id3(none).getFirstArtwork(), is(nullValue()));
    }

    @Test
    void aCopiedMp3GetsTheSameTagAndAReplayGain() throws Exception {
        Path mp3 = temp.resolve("copied.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.MP3_CBR), mp3, Mp3Converter.Options.DEFAULT,
                "file", p -> { });
        assertThat(result.copied(), is(true));
        AbstractID3v2Tag tag = id3(mp3);
        assertThat(tag, instanceOf(ID3v23Tag.class));
        assertThat(tag.getFirst(FieldKey.TITLE), is("original title"));
        assertReplayGainAgreesWithFfmpeg(mp3);
    }

    @Test
    void aVideoWithoutAudioTagsStillFailsAsBeforeAndAnAudioOnlyFileHasNoCover() throws Exception {
        Path mp3 = temp.resolve("m4a.mp3");
        Mp3Converter.Result result = converter.convert(TestMedia.path(Sample.M4A_AAC_AUDIO_ONLY), mp3,
                new Mp3Converter.Options(null, null, null, null, Mp3Converter.Cover.FRAME, null, null, null), "m4a", p -> { });
        assertThat(id3(mp3).getFirstArtwork(), is(nullValue()));
        assertThat("asked for a frame of a file without video: the job view says why there is no cover",
                result.warnings(), hasSize(1));
    }

    @Test
    void theTagsSizeIsFixedBeforeTheAudioIsKnown() {
        Id3Tag tag = new Id3Tag(Tags.of(SourceTags.TAGS, null, null, "x"), new Id3Tag.Cover("image/jpeg", new byte[1000]),
                List.of("a", "b"));
        List<Id3Tag.Chapter> early = List.of(new Id3Tag.Chapter(0, 1, "a"), new Id3Tag.Chapter(1, 2, "b"));
        List<Id3Tag.Chapter> late = List.of(new Id3Tag.Chapter(0, 3_600_000, "a"), new Id3Tag.Chapter(3_600_000, 7_200_000, "b"));
        assertThat(tag.render(early, null).length, is(tag.size()));
        assertThat(tag.render(late, new Id3Tag.ReplayGain(-99.99, 12.5)).length, is(tag.size()));
        assertThat(tag.render(late, new Id3Tag.ReplayGain(3.2, 0.5)).length, is(tag.size()));
    }

    static AbstractID3v2Tag id3(Path mp3) throws Exception {
        MP3File file = (MP3File) AudioFileIO.read(mp3.toFile());
        return file.getID3v2Tag();
    }

    private static BufferedImage jpeg(byte[] data) throws Exception {
        assertThat("a JPEG", data[0] == (byte) 0xFF && data[1] == (byte) 0xD8, is(true));
        return ImageIO.read(new ByteArrayInputStream(data));
    }

    private static double meanLuma(BufferedImage image) {
        double sum = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                sum += 0.299 * (rgb >> 16 & 0xFF) + 0.587 * (rgb >> 8 & 0xFF) + 0.114 * (rgb & 0xFF);
            }
        }
        return sum / (image.getWidth() * image.getHeight());
    }

    /** ffprobe's chapters: the source's from {@code fromMs} on, shifted to it, titles and times within 1 ms. */
    static void assertChapters(Path mp3, List<SourceTags.Chapter> expected, long fromMs, double seconds) throws Exception {
        JsonNode chapters = DebianFfmpeg.probe(mp3).path("chapters");
        assertThat(chapters.toString(), chapters.size(), is(expected.size()));
        long lengthMs = Math.round(seconds * 1000);
        for (int i = 0; i < expected.size(); i++) {
            SourceTags.Chapter want = expected.get(i);
            JsonNode got = chapters.get(i);
            assertThat(got.path("tags").path("title").asText(), is(want.title()));
            assertThat(got.path("start_time").asDouble() * 1000, closeTo(Math.max(0, want.startMs() - fromMs), 1));
            assertThat(got.path("end_time").asDouble() * 1000, closeTo(Math.min(lengthMs, want.endMs() - fromMs), 1));
        }
    }

    /** ReplayGain 2.0: the tag's gain against −18 LUFS minus what FFmpeg's ebur128 measures of the MP3, within 0.5 dB. */
    static void assertReplayGainAgreesWithFfmpeg(Path mp3) throws Exception {
        JsonNode tags = DebianFfmpeg.probe(mp3).path("format").path("tags");
        String gain = tags.path("REPLAYGAIN_TRACK_GAIN").asText();
        assertThat(tags.toString(), gain.endsWith(" dB"), is(true));
        DebianFfmpeg.Loudness measured = DebianFfmpeg.loudness(mp3);
        assertThat("REPLAYGAIN_TRACK_GAIN " + gain + " vs FFmpeg's " + measured,
                Double.parseDouble(gain.replace(" dB", "")), closeTo(-18 - measured.lufs(), 0.5));
        double peakDb = 20 * Math.log10(Double.parseDouble(tags.path("REPLAYGAIN_TRACK_PEAK").asText()));
        assertThat("REPLAYGAIN_TRACK_PEAK", peakDb, lessThanOrEqualTo(measured.truePeakDb() + 1));
        assertThat(Files.size(mp3), greaterThan(0L));
    }
}
