from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp4 import MP4

from tts_pipeline.containers import cue_quote, cue_unquote
from tts_pipeline.document import parse
from tts_pipeline.errors import PipelineError
from tts_pipeline.export import (
    Tags,
    atomic_path,
    encode_m4b,
    ffmetadata,
    ffmpeg_exe,
    manifest,
)
from tts_pipeline.outputs.metadata_text import metadata_text
from tts_pipeline.segment import build_plan
from tts_pipeline.stitch import PROGRAMME_RATE, build_timeline, stream_pcm

SR = PROGRAMME_RATE
HOSTILE = "Part = one; #2 \\ back"


def _programme(tmp_path: Path) -> tuple:
    doc = parse(f"Title\nHello.\n# {HOSTILE}\nBody one.\n# 第三章\nBody two.\n")
    plan = build_plan(doc)
    t = np.arange(int(0.4 * SR)) / SR
    bodies = [(0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32) for _ in plan.utterances]
    timeline = build_timeline(plan, [len(b) for b in bodies])
    return plan, timeline, bodies


def test_m4b_chapters_titles_and_tags_round_trip(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    out = tmp_path / "out" / "talk.m4b"
    encode_m4b(stream_pcm(timeline, iter(bodies)), timeline, Tags(title="标题 = x"), out)
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
        encode_m4b(broken(), timeline, Tags(title="t"), out)
    assert out.read_bytes() == b"previous good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.m4b"]


def test_ffmpeg_error_is_one_line(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    with pytest.raises(PipelineError, match="encoding failed"):
        encode_m4b(stream_pcm(timeline, iter(bodies)), timeline, Tags("t"), tmp_path, "nonsense")


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


def test_manifest_lists_outputs_cues_loudness_and_tags(tmp_path: Path) -> None:
    plan, timeline, bodies = _programme(tmp_path)
    cue = {"index": 0, "utterance": "c01-title", "start": 0.0, "end": 0.4, "text": "Title"}
    data = manifest(
        plan,
        timeline,
        source="talk.txt",
        outputs={"m4b": "talk.m4b", "srt": "talk.srt"},
        voice={},
        engine="x",
        cues=[cue],
        loudness={"target_lufs": -18.0},
        tags=Tags(title="T", artist="A"),
    )
    assert data["outputs"] == {"m4b": "talk.m4b", "srt": "talk.srt"}
    assert data["cues"] == [cue] and data["loudness"] == {"target_lufs": -18.0}
    assert data["tags"]["artist"] == "A" and data["tags"]["genre"] == "Speech"
    assert [c["start"] for c in data["chapters"]] == [
        timeline.ms(m.start) / 1000 for m in timeline.chapters
    ]
    json.dumps(data)  # serializable


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
    from tts_pipeline.export import write_text_atomic

    target = tmp_path / "x.json"
    write_text_atomic(target, "{}")
    reference = tmp_path / "plain.txt"
    reference.write_text("{}")
    assert target.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
