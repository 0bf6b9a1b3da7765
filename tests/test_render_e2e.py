"""End to end with the real offline engine, the real ffmpeg and mutagen: text file → M4B."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp4 import MP4

from tests.cli_tools import run_cli
from tts_pipeline.ffmpeg import ffmpeg_exe

SHORT_SPEECH = """在全区20xx年工作会议上的讲话

同志们：

今天我们召开第3次会议。

第一，提高认识。全区安排资金XX亿元，增长12.5%。

第二，狠抓落实。要为党育人、为国育才。

总之，让我们共同努力！

谢谢大家！

本文由互联网用户分享整理。文章地址:http://www.example.com/a.html
"""


def render_cli(source: Path, out_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("render", source, "-o", out_dir, *extra, timeout=600)


def decode_pcm(path: Path) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("e2e")
    source = root / "short.txt"
    source.write_text(SHORT_SPEECH, encoding="utf-8")
    first = render_cli(source, root / "a", "--no-cache")
    assert first.returncode == 0, first.stderr
    second = render_cli(source, root / "b", "--no-cache")
    assert second.returncode == 0, second.stderr
    return {"a": root / "a" / "short.m4b", "b": root / "b" / "short.m4b", "root": root}


def test_chapters_read_back_from_the_file(rendered: dict[str, Path]) -> None:
    audio = MP4(rendered["a"])
    chapters = list(audio.chapters)
    assert [c.title for c in chapters] == ["开场白", "第一，提高认识", "第二，狠抓落实", "结束语"]
    starts = [c.start for c in chapters]
    assert starts[0] == 0 and all(a < b for a, b in zip(starts, starts[1:], strict=False))
    assert audio.tags["\xa9nam"] == ["在全区20xx年工作会议上的讲话"]
    assert 8 < audio.info.length < 60


def test_manifest_matches_the_audio(rendered: dict[str, Path]) -> None:
    manifest = json.loads((rendered["a"].parent / "short.manifest.json").read_text("utf-8"))
    audio = MP4(rendered["a"])
    assert abs(manifest["duration"] - audio.info.length) < 0.1
    for chapter, mark in zip(audio.chapters, manifest["chapters"], strict=True):
        assert abs(chapter.start - mark["start"]) < 0.002
    utterances = manifest["utterances"]
    assert utterances[0]["kind"] == "title"
    assert all(u["engine"] == "local-zh" for u in utterances)
    for prev, nxt in zip(utterances, utterances[1:], strict=False):
        assert prev["start"] < prev["end"] <= nxt["start"]
    spoken = " ".join(u["spoken"] for u in utterances)
    assert not re.search(r"[0-9]|[Xx]{2}|http", spoken)
    assert manifest["removed"] and "example.com" in manifest["removed"][0]["text"]
    assert manifest["removed"][0]["rule"] == "shared-by"


def test_same_input_gives_identical_pcm(rendered: dict[str, Path]) -> None:
    a, b = decode_pcm(rendered["a"]), decode_pcm(rendered["b"])
    assert len(a) > 24_000 and a == b
    assert np.abs(np.frombuffer(a, dtype="<i2")).max() > 1000  # not silence
