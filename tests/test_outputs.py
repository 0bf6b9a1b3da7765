from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp4 import MP4

from tts_pipeline.atomic import atomic_path, write_text_atomic
from tts_pipeline.audio.timeline import Timeline, TimelineBuilder
from tts_pipeline.audio.trim import Cut
from tts_pipeline.engines.base import Take
from tts_pipeline.errors import PipelineError
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.outputs.containers import encode
from tts_pipeline.outputs.cue_sheet import cue_quote, cue_unquote
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.outputs.manifest_reader import read_manifest
from tts_pipeline.outputs.metadata_text import metadata_text
from tts_pipeline.outputs.programme import PROGRAMME_RATE, ProgrammeOptions, produce, to_pcm16
from tts_pipeline.outputs.sidecars import Sidecars, write_sidecars
from tts_pipeline.outputs.tags import Tags, ffmetadata
from tts_pipeline.synthesis.fallback import FallbackUse
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.voices import load_profile

SR = PROGRAMME_RATE
HOSTILE = "Part = one; #2 \\ back"


def _programme(tmp_path: Path) -> tuple[Plan, Timeline, list[np.ndarray]]:
    doc = parse(f"Title\nHello.\n# {HOSTILE}\nBody one.\n# 第三章\nBody two.\n")
    plan = build_plan(doc)
    t = np.arange(int(0.4 * SR)) / SR
    bodies = [(0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32) for _ in plan.utterances]
    builder = TimelineBuilder(plan, SR)
    for body in bodies:
        builder.place(Cut(0, len(body), 0, len(body)))
    return plan, builder.finish(), bodies


def _pcm(timeline: Timeline, bodies: list[np.ndarray]) -> Iterator[bytes]:
    """The programme as 16-bit PCM: each body, then the silence after it."""
    for placement, body in zip(timeline.placements, bodies, strict=True):
        yield to_pcm16(body)
        yield bytes(2 * placement.gap_after)


def test_m4b_chapters_titles_and_tags_round_trip(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    out = tmp_path / "out" / "talk.m4b"
    encode(
        _pcm(timeline, bodies),
        lambda: timeline,
        Tags(title="标题 = x"),
        {"m4b": out},
        sample_rate=SR,
    )
    audio = MP4(out)
    chapters = list(audio.chapters)
    assert [c.title for c in chapters] == ["Opening", HOSTILE, "第三章"]
    for chapter, mark in zip(chapters, timeline.chapters, strict=True):
        assert abs(chapter.start - mark.start / SR) < 0.002
    assert audio.tags["\xa9nam"] == ["标题 = x"]
    assert abs(audio.info.length - timeline.duration) < 0.1
    assert list(out.parent.iterdir()) == [out]  # no temp file left beside it


def test_failed_encode_leaves_nothing(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    out = tmp_path / "talk.m4b"
    out.write_bytes(b"previous good file")

    def broken():
        yield b"\x00\x00" * 100
        raise RuntimeError("engine died")

    with pytest.raises(RuntimeError):
        encode(broken(), lambda: timeline, Tags(title="t"), {"m4b": out}, sample_rate=SR)
    assert out.read_bytes() == b"previous good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.m4b"]


def test_ffmpeg_error_is_one_line(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    out = tmp_path / "talk.m4b"
    with pytest.raises(PipelineError, match="encoding failed") as failed:
        encode(_pcm(timeline, bodies), lambda: timeline, Tags("t"), {"m4b": out}, sample_rate=0)
    assert "\n" not in str(failed.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("a=b;c#d\\", "a=b;c#d\\"),  # FFMETADATA's special characters are kept as they are
        ("Ann\rBob", "Ann Bob"),
        ("a \r\n\t b", "a b"),  # one space for a run, with the spaces beside it
        ("\x00\x1b[1mbold\x7f\x85\x9f", "[1mbold"),  # nothing at either end
        ("line\u2028paragraph\u2029", "line paragraph"),
        ("全角\u3000空格  two", "全角\u3000空格  two"),  # other spaces are text
        ("bad byte \udcff", "bad byte \ufffd"),  # from a command-line argument
    ],
)
def test_metadata_text_rule(text: str, meant: str) -> None:
    assert metadata_text(text) == meant


def test_bundled_ffmpeg_runs() -> None:
    result = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, check=True)
    assert b"ffmpeg version" in result.stdout


def test_ffmetadata_chapter_times_are_exact_samples(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    text = ffmetadata(timeline)
    assert f"TIMEBASE=1/{SR}" in text
    assert "title" not in text  # text goes on ffmpeg's command line, never into this file
    starts = [int(m) for m in re.findall(r"^START=(\d+)$", text, re.M)]
    assert starts == [m.start for m in timeline.chapters]


def _tone_take(text: str, index: int) -> Take:
    t = np.arange(int((0.3 + 0.02 * len(text)) * SR)) / SR
    return Take((0.2 * np.sin(2 * np.pi * (200 + 20 * index) * t)).astype(np.float32), SR, "e", "v")


def test_manifest_lists_outputs_takes_loudness_tags_and_the_fallback(tmp_path: Path) -> None:
    plan = build_plan(parse("Title\nHello there.\nhttps://example.com/a\n# Two\nBody one.\n"))
    tags = Tags(title="T", artist="A")
    programme = produce(
        plan,
        lambda i: _tone_take(plan.utterances[i].spoken, i),
        {"wav": tmp_path / "talk.wav"},
        tags,
        ProgrammeOptions(loudness=-20.0),
    )
    voice = load_profile(None)
    fallback = FallbackUse(voice, "the service went away", (plan.utterances[1].id,))
    outputs, manifest = write_sidecars(
        OutputLayout(tmp_path, "talk"),
        plan,
        programme,
        tags,
        Sidecars(subtitles=True, page=False),
        source="talk.txt",
        voice=voice,
        fallback=fallback,
    )
    data = json.loads(outputs["manifest"].read_text("utf-8"))
    assert data == manifest.to_json()  # written once, as built
    assert data["outputs"] == {
        "wav": "talk.wav", "cue": "talk.cue", "srt": "talk.srt", "vtt": "talk.vtt",
        "chapters_vtt": "talk.chapters.vtt", "chapters_json": "talk.chapters.json",
        "manifest": "talk.manifest.json",
    }  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(data["outputs"].values())
    timeline = programme.timeline
    assert data["duration"] == round(timeline.duration, 3)
    assert [c["start"] for c in data["chapters"]] == [
        timeline.ms(m.start) / 1000 for m in timeline.chapters
    ]
    assert data["tags"]["artist"] == "A" and data["tags"]["genre"] == "Speech"
    assert data["removed"] == [{"text": "https://example.com/a", "rule": "link"}]
    assert programme.loudness is not None
    assert data["loudness"]["target_lufs"] == -20.0
    assert data["loudness"]["overall_gain_db"] == round(programme.loudness.overall_db, 2)
    gains = [round(g, 2) for g in programme.loudness.take_gains_db]
    assert [u["gain_db"] for u in data["utterances"]] == gains
    assert [u.get("fallback", False) for u in data["utterances"]] == [False, True, False, False]
    assert data["fallback"] == {
        "voice": voice.to_dict(),
        "reason": "the service went away",
        "utterances": [plan.utterances[1].id],
    }
    placed = {p.utterance_id: p for p in timeline.placements}
    for u in data["utterances"]:
        p = placed[u["id"]]
        assert (u["start"], u["voice_end"]) == (
            timeline.ms(p.start) / 1000,
            timeline.ms(p.voice_end) / 1000,
        )
    # Where each utterance stands in the written text (the page joins a split paragraph again).
    assert [(u["chapter"], u["paragraph"]) for u in data["utterances"]] == [
        (u.chapter, u.paragraph) for u in plan.utterances
    ]
    # Read back (check, open): the typed manifest it was written from; the tags as the
    # containers hold them (the album is the title when none was given).
    again = read_manifest(outputs["manifest"])
    assert again.to_json() == data
    assert replace(again, tags=manifest.tags) == manifest
    assert again.tags == replace(tags, album="T")


def test_cue_sheet_strings_round_trip() -> None:
    for value, meant in [
        ('Say "hi" \\ there', 'Say "hi" \\ there'),
        ("ends in \\", "ends in \\"),
        ("two\nlines\rand\x85more", "two lines and more"),
        ("plain", "plain"),
        ("", ""),
    ]:
        quoted = cue_quote(value)
        assert len(quoted.splitlines()) == 1 and quoted[0] == quoted[-1] == '"'
        assert cue_unquote(quoted) == meant


def test_failed_text_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "talk.srt"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError), atomic_path(path) as tmp:
        tmp.write_text("half", encoding="utf-8")
        "\ud800".encode()
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["talk.srt"]


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_text_atomic(target, "{}")
    reference = tmp_path / "plain.txt"
    reference.write_text("{}")
    assert target.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
