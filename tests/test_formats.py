"""Every format from one render, read back with the real ffmpeg and mutagen: chapters (count,
titles, start times to the millisecond against the manifest), tags, cover art, loudness."""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from tests.audio_tools import (
    SR,
    SyntheticEngine,
    decode,
    ebur128,
    ffmetadata,
    noise,
    pcm_of,
    silence,
    tone,
    voiced_regions,
)
from tests.cli_tools import run_cli
from tts_pipeline.audio.loudness.meter import integrated_loudness
from tts_pipeline.audio.timeline import ChapterMark, Placement, Timeline
from tts_pipeline.engines.base import Take
from tts_pipeline.errors import PipelineError, SettingsError
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.outputs.containers import FORMATS, encode
from tts_pipeline.outputs.cover import Cover, load_cover
from tts_pipeline.outputs.cue_sheet import cue_sheet, cue_unquote
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.voices import load_profile

HOSTILE = 'Part = one; #2 \\ back "quoted" --> A&B <c>'
DOCUMENT = f"""The Annual Address
Good morning, everyone. Thank you for coming today.
# {HOSTILE}
We met our goals this year. Our students did well.
We thank every teacher.
# 第三章 Closing
Thank you all!
"""
ALL = ("m4b", "mp3", "opus", "flac", "wav")
AUTHOR = "Ann Author"
DATE = "2024-09-10"
TARGET = -18.0


def make_take(text: str, index: int) -> Take:
    """Silence padding of varying length with a noise floor, then a tone whose level varies a
    lot from take to take (so levelling has work to do)."""
    amp = (0.12, 0.5, 0.25)[index % 3]
    body = tone(0.03 * len(text) + 0.2, 180 + 20 * (index % 4), amp)
    lead, tail = silence(0.2 + 0.1 * (index % 3)), silence(0.6 + 0.2 * (index % 2))
    samples = np.concatenate([lead, body, tail])
    samples = samples + noise(len(samples) / SR, -75, seed=index)
    return Take(samples.astype(np.float32), SR, "synthetic", "tone")


def jpeg(path: Path) -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=64x48:d=1",
            "-frames:v",
            "1",
            str(path),
        ],
        check=True,
    )
    return path


def do_render(root: Path, name: str, **options: Any) -> tuple[dict[str, Path], dict[str, Any]]:
    source = root / f"{name}.txt"
    source.write_text(DOCUMENT, encoding="utf-8")
    settings = RenderSettings(
        voice=load_profile(None), output_dir=root / name, use_cache=False, **options
    )
    result = render(source, settings, store=MemoryStore(), engine=SyntheticEngine(make_take))
    manifest = json.loads(result.outputs["manifest"].read_text("utf-8"))
    return result.outputs, manifest


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], dict[str, Any]]:
    root = tmp_path_factory.mktemp("formats")
    cover = jpeg(root / "cover.jpg")
    return do_render(root, "talk", formats=ALL, author=AUTHOR, date=DATE, cover=cover)


def manifest_ms(manifest: dict[str, Any]) -> list[tuple[int, str]]:
    return [(round(c["start"] * 1000), c["title"]) for c in manifest["chapters"]]


def test_manifest_lists_every_output_and_nothing_else_is_left(rendered) -> None:
    outputs, manifest = rendered
    names = set(manifest["outputs"].values())
    out_dir = outputs["manifest"].parent
    assert names == {p.name for p in out_dir.iterdir()}  # no temp files, nothing unlisted
    sidecars = {
        "cue",
        "srt",
        "vtt",
        "chapters_vtt",
        "chapters_json",
        "manifest",
        "page",
        "overview",
    }
    assert set(ALL) | sidecars == set(manifest["outputs"])
    assert manifest["cues"] and all(c["text"] for c in manifest["cues"])
    assert [t for _, t in manifest_ms(manifest)] == ["Opening", HOSTILE, "第三章 Closing"]


@pytest.mark.parametrize("fmt", ["m4b", "mp3", "opus", "flac"])
def test_ffmpeg_reads_back_chapters_to_the_millisecond(rendered, fmt: str) -> None:
    outputs, manifest = rendered
    chapters = ffmetadata(outputs[fmt]).chapters
    assert [(c["start_ms"], c["title"]) for c in chapters] == manifest_ms(manifest)


def test_m4b_chapters_tags_and_cover(rendered) -> None:
    outputs, manifest = rendered
    audio = MP4(outputs["m4b"])
    chapters = [(round(c.start * 1000), c.title) for c in audio.chapters]
    assert chapters == manifest_ms(manifest)
    tags = audio.tags
    assert tags["\xa9nam"] == ["The Annual Address"]
    assert tags["\xa9ART"] == [AUTHOR] and tags["\xa9alb"] == ["The Annual Address"]
    assert tags["\xa9day"] == [DATE] and tags["\xa9gen"] == ["Speech"]
    assert bytes(tags["covr"][0]) == outputs_cover(outputs)


def outputs_cover(outputs: dict[str, Path]) -> bytes:
    return (outputs["manifest"].parent.parent / "cover.jpg").read_bytes()


def test_mp3_id3_toc_chapters_tags_and_cover(rendered) -> None:
    outputs, manifest = rendered
    id3 = ID3(outputs["mp3"])
    toc = id3.getall("CTOC")[0]
    chaps = {c.element_id: c for c in id3.getall("CHAP")}
    ordered = [chaps[i] for i in toc.child_element_ids]
    assert [(c.start_time, c.sub_frames["TIT2"].text[0]) for c in ordered] == manifest_ms(manifest)
    assert [c.end_time for c in ordered] == [round(c["end"] * 1000) for c in manifest["chapters"]]
    assert str(id3["TIT2"]) == "The Annual Address" and str(id3["TPE1"]) == AUTHOR
    assert str(id3["TALB"]) == "The Annual Address" and str(id3["TDRC"]) == DATE
    assert str(id3["TCON"]) == "Speech" and str(id3["TLAN"]) == "eng"
    apic = id3.getall("APIC")[0]
    assert apic.data == outputs_cover(outputs) and apic.type == 3 and apic.mime == "image/jpeg"


def _vorbis_chapters(tags: Any) -> list[tuple[int, str]]:
    out = []
    for n in range(1, 100):
        key = f"CHAPTER{n:03d}"
        if key not in tags:
            break
        h, m, s = tags[key][0].split(":")
        ms = round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)
        out.append((ms, tags[key + "NAME"][0]))
    return out


@pytest.mark.parametrize("fmt", ["flac", "opus"])
def test_vorbis_comment_chapters_tags_and_cover(rendered, fmt: str) -> None:
    outputs, manifest = rendered
    audio = FLAC(outputs[fmt]) if fmt == "flac" else OggOpus(outputs[fmt])
    tags = audio.tags
    assert _vorbis_chapters(tags) == manifest_ms(manifest)
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", tags["CHAPTER002"][0])
    expected = {"title": "The Annual Address", "artist": AUTHOR, "album": "The Annual Address",
                "date": DATE, "genre": "Speech", "language": "en-US"}  # fmt: skip
    assert {k: tags[k][0] for k in expected} == expected
    if fmt == "flac":
        picture = audio.pictures[0]
    else:
        picture = Picture(base64.b64decode(tags["METADATA_BLOCK_PICTURE"][0]))
    assert picture.data == outputs_cover(outputs) and picture.type == 3
    assert (picture.width, picture.height) == (64, 48)


def test_wav_tags_and_cue_sheet(rendered) -> None:
    outputs, manifest = rendered
    meta = ffmetadata(outputs["wav"])
    assert meta.tags["title"] == "The Annual Address" and meta.tags["artist"] == AUTHOR
    text = outputs["cue"].read_text("utf-8")
    assert f'FILE "{outputs["wav"].name}" WAVE' in text
    titles = [cue_unquote(m) for m in re.findall(r'^    TITLE (".*")$', text, re.M)]
    frames = re.findall(r"INDEX 01 (\d\d):(\d\d):(\d\d)$", text, re.M)
    starts = [(int(m) * 60 + int(s)) * 1000 + int(f) * 1000 / 75 for m, s, f in frames]
    # Chapter starts sit on the CD-frame grid, so the cue sheet is as exact as the others.
    assert [(round(ms), t) for ms, t in zip(starts, titles, strict=True)] == manifest_ms(manifest)
    for (m, s, f), chapter in zip(frames, manifest["chapters"], strict=True):
        exact = (int(m) * 60 + int(s)) + int(f) / 75
        assert abs(exact - chapter["start"]) <= 0.0005


def test_chapter_sidecars_round_trip_hostile_titles(rendered) -> None:
    outputs, manifest = rendered
    data = json.loads(outputs["chapters_json"].read_text("utf-8"))
    assert data["version"] == "1.2.0"
    assert [(round(c["startTime"] * 1000), c["title"]) for c in data["chapters"]] == manifest_ms(
        manifest
    )
    vtt = outputs["chapters_vtt"].read_text("utf-8")
    assert vtt.startswith("WEBVTT\n")
    blocks = vtt.strip().split("\n\n")[1:]
    titles = [html.unescape("\n".join(b.split("\n")[2:])) for b in blocks]
    assert titles == [t for _, t in manifest_ms(manifest)]
    assert vtt.count("-->") == len(blocks)  # only the timing lines
    assert "<c>" not in vtt and "A&B" not in vtt


@pytest.mark.parametrize("fmt", ALL)
def test_loudness_hits_the_target(rendered, fmt: str) -> None:
    outputs, manifest = rendered
    measured = ebur128(outputs[fmt])
    assert abs(measured.integrated - TARGET) <= 1.0, measured
    assert manifest["loudness"]["target_lufs"] == TARGET
    if fmt in ("flac", "wav"):  # lossless: the ceiling holds exactly (meter shows 0.1 dB)
        assert measured.true_peak <= -1.5 + 0.05, measured


def test_takes_are_levelled_against_each_other(rendered) -> None:
    outputs, manifest = rendered
    gains = [u["gain_db"] for u in manifest["utterances"]]
    # Takes were synthesized at 0.12 / 0.5 / 0.25 amplitude: quiet ones get more gain.
    assert gains[0] > gains[2] > gains[1]
    # Measured in the output, every utterance is within 1 LU of the others.
    audio = decode(outputs["flac"])
    levels = [
        integrated_loudness(audio[round(u["voice_start"] * SR) : round(u["voice_end"] * SR)], SR)
        for u in manifest["utterances"]
    ]
    assert max(levels) - min(levels) <= 1.0, levels


def test_other_target_and_off(tmp_path: Path) -> None:
    outputs, _ = do_render(tmp_path, "loud", formats=("flac",), loudness=-16)
    assert abs(ebur128(outputs["flac"]).integrated - -16) <= 1.0
    outputs, manifest = do_render(tmp_path, "raw", formats=("flac",), loudness=None)
    assert manifest["loudness"] is None
    assert "gain_db" not in manifest["utterances"][0]
    # Untouched levels: the 0.5-amplitude takes peak at 0.5 as synthesized.
    assert abs(np.max(np.abs(decode(outputs["flac"]))) - 0.5) < 0.001


def test_bad_options_fail_before_anything_runs(tmp_path: Path) -> None:
    voice = load_profile(None)
    with pytest.raises(SettingsError, match="cover image not found"):
        RenderSettings(voice=voice, output_dir=tmp_path, cover=tmp_path / "none.jpg")
    (tmp_path / "fake.png").write_text("not an image")
    with pytest.raises(SettingsError, match="not a JPEG or PNG"):
        RenderSettings(voice=voice, output_dir=tmp_path, cover=tmp_path / "fake.png")
    with pytest.raises(SettingsError, match="unknown format 'ogg'"):
        RenderSettings(voice=voice, output_dir=tmp_path, formats=("ogg",))
    with pytest.raises(SettingsError, match="between"):
        RenderSettings(voice=voice, output_dir=tmp_path, loudness=3.0)
    settings = RenderSettings(voice=voice, output_dir=tmp_path, formats=("MP3,flac", "mp3"))
    assert settings.formats == ("mp3", "flac")


def test_png_cover_size_is_read(tmp_path: Path) -> None:
    png = tmp_path / "c.png"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=40x30:d=1",
            "-frames:v",
            "1",
            str(png),
        ],
        check=True,
    )
    cover = load_cover(png)
    assert (cover.mime, cover.width, cover.height) == ("image/png", 40, 30)


# ---------------------------------------------------------------------------------------------
# Direct encoding: hostile titles (newline included) in every container, and atomicity

NASTY = ["Eins = 1; #x", 'Back \\ slash "q" --> &amp; <b>', "Two lines"]


def _timeline() -> Timeline:
    n = SR // 2
    placements = tuple(Placement(f"u{i}", i, i * n, i * n + n, 0) for i in range(3))
    marks = tuple(ChapterMark(t, i * n, i * n + n) for i, t in enumerate(NASTY))
    return Timeline(SR, placements, marks, 3 * n)


@pytest.mark.parametrize("fmt", ["m4b", "m4a", "mp3", "opus", "flac"])
def test_hostile_titles_round_trip_every_container(tmp_path: Path, fmt: str) -> None:
    timeline = _timeline()
    out = tmp_path / f"x.{FORMATS[fmt].extension}"
    tags = Tags(title="T = 1; #\\ x", artist="A B")
    takes = [tone(0.5) for _ in range(3)]
    encode(pcm_of(timeline, takes), lambda: timeline, tags, {fmt: out}, sample_rate=SR)
    meta = ffmetadata(out)
    assert [c["title"] for c in meta.chapters] == NASTY
    assert [c["start_ms"] for c in meta.chapters] == [0, 500, 1000]
    if fmt != "opus":  # Ogg keeps tags on the stream; ffmetadata prints the file's only
        assert meta.tags["title"] == "T = 1; #\\ x" and meta.tags["artist"] == "A B"


def test_failed_multi_format_encode_writes_nothing_and_keeps_old_files(tmp_path: Path) -> None:
    timeline = _timeline()
    targets = {f: tmp_path / f"t.{FORMATS[f].extension}" for f in ALL}
    targets["mp3"].write_bytes(b"previous good file")

    def broken():
        yield b"\x00\x00" * 1000
        raise RuntimeError("engine died")

    with pytest.raises(RuntimeError):
        encode(broken(), lambda: timeline, Tags("t"), targets, sample_rate=SR)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.mp3"]
    assert targets["mp3"].read_bytes() == b"previous good file"


def test_a_stop_after_the_last_chunk_keeps_no_file(tmp_path: Path) -> None:
    # Ctrl-C while the chapters are copied in (streamed programme: MP4 and MP3 go through a
    # second ffmpeg run, which ignores the terminal's signals): the finished files are dropped.
    timeline = _timeline()
    targets = {f: tmp_path / f"t.{FORMATS[f].extension}" for f in ("m4b", "mp3", "flac")}
    targets["m4b"].write_bytes(b"previous good file")
    asked: list[list[str]] = []

    def stopped() -> None:  # the encoded files wait beside their targets, hidden
        asked.append(sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")))
        raise KeyboardInterrupt

    pcm = pcm_of(timeline, [tone(0.5)] * 3)
    with pytest.raises(KeyboardInterrupt):
        encode(pcm, lambda: timeline, Tags("t"), targets, sample_rate=SR, before_keeping=stopped)
    assert asked == [["t.m4b"]]  # asked once, with only the previous file in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.m4b"]
    assert targets["m4b"].read_bytes() == b"previous good file"


def test_tagging_failure_is_one_error_and_leaves_nothing(tmp_path: Path) -> None:
    timeline = _timeline()
    bad = Cover(b"\xff\xd8\xff" + b"\x00" * 10, "image/unknown")  # mutagen cannot file it
    with pytest.raises(PipelineError, match="tagging the m4b file failed"):
        encode(pcm_of(timeline, [tone(0.5)] * 3), lambda: timeline, Tags("t"),
               {"m4b": tmp_path / "t.m4b", "flac": tmp_path / "t.flac"}, cover=bad,
               sample_rate=SR)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_all_formats_decode_to_the_same_programme(rendered) -> None:
    """One PCM stream: every format decodes to the same length and the same voiced parts."""
    outputs, manifest = rendered
    reference = voiced_regions(decode(outputs["wav"]), SR)
    for fmt in ("m4b", "mp3", "opus", "flac"):
        audio = decode(outputs[fmt])
        assert abs(len(audio) / SR - manifest["duration"]) < 0.002, fmt
        regions = voiced_regions(audio, SR)
        assert len(regions) == len(reference), fmt
        for (a, _), (b, _) in zip(regions, reference, strict=True):
            assert abs(a - b) < 0.01, fmt


def test_replace_keeps_settings_validated(tmp_path: Path) -> None:
    """Settings made from others with dataclasses.replace are checked and normalized again."""
    settings = RenderSettings(voice=load_profile(None), output_dir=tmp_path)
    assert replace(settings, formats=("WAV,mp3", "wav")).formats == ("wav", "mp3")
    with pytest.raises(SettingsError, match="unknown format 'ogg'"):
        replace(settings, formats=("ogg",))
    with pytest.raises(SettingsError, match="between"):
        replace(settings, loudness=3.0)
    cover = replace(settings, cover=jpeg(tmp_path / "c.jpg")).cover_image
    assert cover is not None and cover.mime == "image/jpeg"
    assert replace(settings, author="A").cover_image is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cover", "missing.jpg"], "error: cover image not found: missing.jpg"),
        (["--format", "ogg"], "error: unknown format 'ogg'"),
        (["--loudness", "loud"], "error: --loudness must be a number"),
        (["--loudness", "-3"], "error: --loudness must be between"),
    ],
)
def test_cli_rejects_bad_output_options_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(DOCUMENT, encoding="utf-8")
    result = run_cli("render", source, "-o", "out", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not (tmp_path / "out").exists()


def test_a_silent_take_is_placed_and_skipped_by_subtitles(tmp_path: Path) -> None:
    def make(text: str, index: int) -> Take:
        return Take(silence(1.0), SR, "synthetic", "x") if index == 1 else make_take(text, index)

    source = tmp_path / "s.txt"
    source.write_text("Title\nFirst.\nSecond.\n", encoding="utf-8")
    settings = RenderSettings(voice=load_profile(None), output_dir=tmp_path / "o", use_cache=False)
    result = render(source, settings, store=MemoryStore(), engine=SyntheticEngine(make))
    manifest = json.loads(result.outputs["manifest"].read_text("utf-8"))
    assert [c["text"] for c in manifest["cues"]] == ["Title", "Second."]
    silent = manifest["utterances"][1]
    assert silent["start"] == silent["end"]
    assert abs(ebur128(result.outputs["m4b"]).integrated - TARGET) <= 1.0


# ---------------------------------------------------------------------------------------------
# Metadata text a user can give (the title, headings, --author, a preset's display name): every
# container reads back what was meant. A trailing backslash is kept; control characters (C0, C1,
# DEL, line and paragraph separators) become one space, at the ends nothing (issue 13).

HOSTILE_CHAPTERS = [
    ("Ends in a backslash \\", "Ends in a backslash \\"),
    ("CR\rinjected [CHAPTER]", "CR injected [CHAPTER]"),
    ("LF\ntitle=x\\", "LF title=x\\"),
    ('Tab\tand = ; # \\ "q"', 'Tab and = ; # \\ "q"'),
    ("C0\x00\x01\x1b[31m C1\x85\x9f end\x7f", "C0 [31m C1 end"),
    ("\u2028Separators\u2029 \r\n", "Separators"),
]
HOSTILE_TAGS = Tags(
    title="Talk ends in \\",
    artist="Ann\r\n[CHAPTER]\nTIMEBASE=1/1000\\",
    album="Album\ttab",
    comment="semi; hash # eq = \\",
)
MEANT_TAGS = {
    "title": "Talk ends in \\",
    "artist": "Ann [CHAPTER] TIMEBASE=1/1000\\",
    "album": "Album tab",
    "comment": "semi; hash # eq = \\",
}


def _hostile_timeline() -> Timeline:
    n = SR // 2
    count = len(HOSTILE_CHAPTERS)
    placements = tuple(Placement(f"u{i}", i, i * n, i * n + n, 0) for i in range(count))
    marks = tuple(
        ChapterMark(title, i * n, i * n + n) for i, (title, _) in enumerate(HOSTILE_CHAPTERS)
    )
    return Timeline(SR, placements, marks, count * n)


def _read_back(fmt: str, path: Path) -> tuple[list[str], dict[str, str]]:
    """Chapter titles and tags as the format's own reader sees them (mutagen; ffmpeg for WAV)."""
    if fmt in ("m4b", "m4a"):
        mp4 = MP4(path)
        assert mp4.tags is not None
        keys = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "comment": "\xa9cmt"}
        return [c.title for c in mp4.chapters], {k: mp4.tags[v][0] for k, v in keys.items()}
    if fmt == "mp3":
        id3 = ID3(path)
        (toc,) = id3.getall("CTOC")
        chaps = {c.element_id: c for c in id3.getall("CHAP")}
        assert len(chaps) == len(toc.child_element_ids)
        titles = []
        for element in toc.child_element_ids:
            frames = chaps[element].sub_frames
            assert list(frames) == ["TIT2"], frames  # nothing swallowed into the chapter
            titles.append(frames["TIT2"].text[0])
        texts = {"title": "TIT2", "artist": "TPE1", "album": "TALB"}
        tags = {k: str(id3[v]) for k, v in texts.items()}
        (comment,) = [f for f in id3.getall("TXXX") if f.desc == "comment"]
        return titles, {**tags, "comment": comment.text[0]}
    if fmt in ("opus", "flac"):
        vorbis = (OggOpus(path) if fmt == "opus" else FLAC(path)).tags
        assert vorbis is not None
        keys = vorbis.keys()  # (a list of pairs underneath: iterating it gives no keys)
        names = [k for k in keys if re.fullmatch(r"CHAPTER\d{3}NAME", k, re.I)]
        assert len([k for k in keys if re.fullmatch(r"CHAPTER\d{3}", k, re.I)]) == len(names)
        titles = [str(vorbis[f"CHAPTER{n:03d}NAME"][0]) for n in range(1, len(names) + 1)]
        keys = {"title": "title", "artist": "artist", "album": "album", "comment": "description"}
        return titles, {k: str(vorbis[v][0]) for k, v in keys.items()}
    meta = ffmetadata(path)  # WAV: RIFF INFO tags (its chapters are in the cue sheet)
    return [], {k: meta.tags[k] for k in MEANT_TAGS}


def _cue_commands(text: str) -> list[tuple[str, list[str]]]:
    """A cue sheet as a strict reader sees it: any line break ends a line (str.splitlines), a
    command is a word and its arguments, strings are quoted with backslash escapes."""
    token = re.compile(r'"((?:\\.|[^"\\])*)"|(\S+)')
    commands = []
    for line in text.splitlines():
        words = [
            re.sub(r"\\(.)", r"\1", quoted) if bare == "" else bare
            for quoted, bare in token.findall(line)
        ]
        if words:
            commands.append((words[0], words[1:]))
    return commands


@pytest.mark.parametrize("fmt", ["m4b", "m4a", "mp3", "opus", "flac", "wav"])
def test_hostile_metadata_text_reads_back_as_meant(tmp_path: Path, fmt: str) -> None:
    timeline = _hostile_timeline()
    out = tmp_path / f"x.{FORMATS[fmt].extension}"
    takes = [tone(0.5) for _ in HOSTILE_CHAPTERS]
    encode(pcm_of(timeline, takes), lambda: timeline, HOSTILE_TAGS, {fmt: out}, sample_rate=SR)
    titles, tags = _read_back(fmt, out)
    assert tags == MEANT_TAGS
    if fmt == "wav":
        commands = _cue_commands(cue_sheet(timeline, HOSTILE_TAGS, out.name))
        assert [c for c, _ in commands].count("TRACK") == len(HOSTILE_CHAPTERS)
        assert {c for c, _ in commands} <= {"REM", "PERFORMER", "TITLE", "FILE", "TRACK", "INDEX"}
        titles = [args[0] for c, args in commands if c == "TITLE"][1:]  # after the album's
        performers = {args[0] for c, args in commands if c == "PERFORMER"}
        assert performers == {MEANT_TAGS["artist"]}
    assert titles == [meant for _, meant in HOSTILE_CHAPTERS]


def test_a_title_and_heading_ending_in_a_backslash_survive_a_render(tmp_path: Path) -> None:
    # The whole path: document → plan → every format, the tags and chapters read back.
    source = tmp_path / "talk.txt"
    source.write_text(
        "Ends in \\\nHello there.\n# Heading \\\nBody one.\n# Last = ; # \\\nBody two.\n",
        encoding="utf-8",
    )
    settings = RenderSettings(
        voice=load_profile(None),
        output_dir=tmp_path / "out",
        use_cache=False,
        formats=("m4b", "mp3", "opus", "flac", "wav"),
        author="Ann\rBob\\",
    )
    result = render(source, settings, store=MemoryStore(), engine=SyntheticEngine(make_take))
    chapters = ["Opening", "Heading \\", "Last = ; # \\"]
    for fmt in ("m4b", "mp3", "opus", "flac", "wav"):
        titles, tags = _read_back(fmt, result.outputs[fmt])
        assert (tags["title"], tags["artist"]) == ("Ends in \\", "Ann Bob\\"), fmt
        assert titles == ([] if fmt == "wav" else chapters), fmt
    commands = _cue_commands(result.outputs["cue"].read_text("utf-8"))
    assert [args[0] for c, args in commands if c == "TITLE"] == ["Ends in \\", *chapters]


def _damaged(good: bytes, damage: str) -> bytes:
    noise = bytes((i * 97 + 13) % 256 for i in range(len(good)))
    third = len(good) // 3
    if damage == "a JPEG header, then noise":
        return good[:20] + noise
    if damage == "truncated":
        return good[: len(good) // 2]
    return good[:third] + noise[third : 2 * third] + good[2 * third :]  # a garbled middle


@pytest.mark.parametrize("damage", ["a JPEG header, then noise", "truncated", "a garbled middle"])
@pytest.mark.parametrize("kind", ["jpg", "png"])
def test_a_damaged_cover_is_refused_before_anything_runs(
    tmp_path: Path, damage: str, kind: str
) -> None:
    good = tmp_path / f"good.{kind}"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=160x120:d=1",
         "-frames:v", "1", str(good)],
        check=True,
    )  # fmt: skip
    assert load_cover(good).data == good.read_bytes()
    cover = tmp_path / f"cover.{kind}"
    cover.write_bytes(_damaged(good.read_bytes(), damage))
    with pytest.raises(SettingsError, match=rf"^cover image {re.escape(str(cover))} is damaged"):
        RenderSettings(voice=load_profile(None), output_dir=tmp_path / "out", cover=cover)
