"""Programme → files: chaptered audio containers and the manifest. Every write is atomic."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from tts_pipeline.errors import PipelineError
from tts_pipeline.segment import Plan
from tts_pipeline.stitch import Timeline

FORMATS = ("m4b",)


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str = ""
    album: str = ""
    date: str = ""
    genre: str = "Speech"
    language: str = ""
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def ffmpeg_exe() -> str:
    """The static ffmpeg shipped in the imageio-ffmpeg wheel (no system ffmpeg needed)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final`` that replaces it only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def escape_ffmetadata(value: str) -> str:
    """FFMETADATA needs '=', ';', '#', '\\' and newlines escaped with a backslash."""
    out = []
    for ch in value:
        if ch in "=;#\\\n":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def ffmetadata(tags: Tags, timeline: Timeline) -> str:
    lines = [";FFMETADATA1"]
    for key, value in _tag_items(tags):
        lines.append(f"{key}={escape_ffmetadata(value)}")
    for mark in timeline.chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(timeline.seconds(mark.start) * 1000)}",
            f"END={round(timeline.seconds(mark.end) * 1000)}",
            f"title={escape_ffmetadata(mark.title)}",
        ]
    return "\n".join(lines) + "\n"


def _tag_items(tags: Tags) -> list[tuple[str, str]]:
    items = [
        ("title", tags.title),
        ("artist", tags.artist),
        ("album_artist", tags.artist),
        ("album", tags.album or tags.title),
        ("date", tags.date),
        ("genre", tags.genre),
        ("language", tags.language),
        ("comment", tags.comment),
        *tags.extra.items(),
    ]
    return [(k, v) for k, v in items if v]


def encode_m4b(
    pcm: Iterable[bytes], timeline: Timeline, tags: Tags, out_path: Path, bitrate: str = "64k"
) -> None:
    """Encode 16-bit mono PCM chunks to AAC in an MP4 container with chapters, atomically."""
    with tempfile.TemporaryDirectory(prefix="tts-pipeline-") as scratch:
        meta = Path(scratch) / "chapters.ffmeta"
        meta.write_text(ffmetadata(tags, timeline), encoding="utf-8")
        with atomic_path(out_path) as tmp:
            cmd = [
                ffmpeg_exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "s16le",
                "-ar",
                str(timeline.sample_rate),
                "-ac",
                "1",
                "-i",
                "pipe:0",
                "-i",
                str(meta),
                "-map",
                "0:a",
                "-map_metadata",
                "1",
                "-map_chapters",
                "1",
                "-c:a",
                "aac",
                "-b:a",
                bitrate,
                # Same input, same bytes: no encoder version or creation time in the file.
                "-fflags",
                "+bitexact",
                "-flags:a",
                "+bitexact",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(tmp),
            ]
            _run_ffmpeg(cmd, pcm)


def _run_ffmpeg(cmd: list[str], pcm: Iterable[bytes]) -> None:
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None
    try:
        for chunk in pcm:
            proc.stdin.write(chunk)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.wait() != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {proc.returncode}"
        raise PipelineError(f"encoding failed: {last}", exit_code=5)


def manifest(
    plan: Plan,
    timeline: Timeline,
    *,
    source: str,
    outputs: dict[str, str],
    voice: dict[str, Any],
    engine: str,
    takes: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything a player, a proofreader or a later stage needs to know about the render."""
    placements = {p.utterance_id: p for p in timeline.placements}
    secs = timeline.seconds
    utterances = []
    for chapter_index, chapter in enumerate(plan.chapters):
        for u in chapter.utterances:
            p = placements[u.id]
            entry = {
                "id": u.id,
                "chapter": chapter_index,
                "kind": u.kind,
                "start": round(secs(p.start), 3),
                "end": round(secs(p.end), 3),
                "pause_after": u.pause_after,
                "text": u.text,
                "spoken": u.spoken,
            }
            if takes and u.id in takes:
                entry.update(takes[u.id])
            utterances.append(entry)
    return {
        "format_version": 1,
        "title": plan.title,
        "language": plan.language,
        "source": source,
        "duration": round(timeline.duration, 3),
        "sample_rate": timeline.sample_rate,
        "engine": engine,
        "voice": voice,
        "outputs": outputs,
        "chapters": [
            {
                "index": i,
                "title": mark.title,
                "start": round(secs(mark.start), 3),
                "end": round(secs(mark.end), 3),
            }
            for i, mark in enumerate(timeline.chapters)
        ],
        "utterances": utterances,
        "removed": list(plan.removed),
        "placeholders": plan.placeholder_details(),
    }


def write_manifest(data: dict[str, Any], path: Path) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
