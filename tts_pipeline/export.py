"""Programme → files: tags, FFMETADATA, ffmpeg, the manifest. Every write is atomic.

The per-format encoding (all formats from one PCM stream) lives in ``containers``; subtitles and
chapter sidecars in ``subtitles``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from tts_pipeline.errors import PipelineError
from tts_pipeline.segment import Plan
from tts_pipeline.stitch import Timeline


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


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final`` that replaces it only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); a finished output gets the usual permissions.
        os.chmod(tmp, 0o666 & ~_UMASK)
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


def ffmetadata(tags: Tags, timeline: Timeline | None) -> str:
    """Tags and chapters for ffmpeg. Chapter times are in samples (exact, no rounding)."""
    lines = [";FFMETADATA1"]
    for key, value in _tag_items(tags):
        lines.append(f"{key}={escape_ffmetadata(value)}")
    for mark in timeline.chapters if timeline is not None else ():
        lines += [
            "[CHAPTER]",
            f"TIMEBASE=1/{timeline.sample_rate}",
            f"START={mark.start}",
            f"END={mark.end}",
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
    from tts_pipeline.containers import encode  # containers builds on this module

    encode(pcm, timeline, tags, {"m4b": out_path}, bitrates={"m4b": bitrate})


# PCM chunks (a take, or a pause) produced ahead of what ffmpeg has read: the next takes are
# levelled while ffmpeg encodes, with a bounded amount of audio in memory.
PCM_CHUNKS_AHEAD = 4


def run_ffmpeg(cmd: list[str], pcm: Iterable[bytes]) -> None:
    """Run ffmpeg with ``pcm`` on its stdin; a failure is one PipelineError line.

    A thread writes to ffmpeg while this one produces the next chunks, so producing the audio
    and encoding it overlap (each would otherwise wait for the other at every chunk). ffmpeg's
    messages go to a temporary file, not a pipe: a pipe nobody reads until the end would stop
    ffmpeg (and with it the whole encode) once it filled up."""
    with tempfile.TemporaryFile() as messages:
        # A session of its own: Ctrl-C in the terminal reaches us, and we stop ffmpeg (and
        # remove its partial file); a render that ignores SIGINT keeps its encoder too.
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=messages,
            start_new_session=True,
        )
        _feed(proc, pcm)
        if proc.wait() != 0:
            messages.seek(0)
            text = messages.read().decode("utf-8", "replace").strip()
            last = text.splitlines()[-1] if text else f"exit code {proc.returncode}"
            raise PipelineError(f"encoding failed: {last}", exit_code=5)


def _feed(proc: subprocess.Popen[bytes], pcm: Iterable[bytes]) -> None:
    assert proc.stdin is not None
    stdin = proc.stdin
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=PCM_CHUNKS_AHEAD)
    broken = threading.Event()  # ffmpeg stopped reading (it failed: its messages say why)
    unexpected: list[BaseException] = []

    def write() -> None:
        while (chunk := chunks.get()) is not None:
            if broken.is_set():
                continue  # keep taking chunks, so the producer never blocks on a full queue
            try:
                stdin.write(chunk)
            except (BrokenPipeError, ValueError, OSError):
                broken.set()
            except BaseException as exc:  # noqa: BLE001 - raised below, in the producer
                unexpected.append(exc)
                broken.set()

    writer = threading.Thread(target=write, name="ffmpeg-stdin", daemon=True)
    writer.start()
    try:
        for chunk in pcm:
            if broken.is_set():
                break
            chunks.put(chunk)
        chunks.put(None)
        writer.join()
        if unexpected:  # ffmpeg is fine but did not get all the audio: it must not finish
            raise unexpected[0]
        with contextlib.suppress(BrokenPipeError):
            stdin.close()
    except BaseException:
        proc.kill()  # a blocked write fails now; the writer then drains the queue
        chunks.put(None)
        writer.join()
        proc.wait()
        raise


def manifest(
    plan: Plan,
    timeline: Timeline,
    *,
    source: str,
    outputs: dict[str, str],
    voice: dict[str, Any],
    engine: str,
    takes: dict[str, dict[str, Any]] | None = None,
    cues: list[dict[str, Any]] | None = None,
    loudness: dict[str, Any] | None = None,
    tags: Tags | None = None,
) -> dict[str, Any]:
    """Everything a player, a proofreader or a later stage needs to know about the render.

    ``outputs`` names every file written (kind → file name), ``cues`` the subtitle cues
    (subtitles.cues_json), ``loudness`` the loudness plan (LoudnessPlan.to_json).
    """
    placements = {p.utterance_id: p for p in timeline.placements}
    utterances = []
    for chapter_index, chapter in enumerate(plan.chapters):
        for u in chapter.utterances:
            p = placements[u.id]
            entry = {
                "id": u.id,
                "chapter": chapter_index,
                "kind": u.kind,
                "start": timeline.ms(p.start) / 1000,
                "end": timeline.ms(p.end) / 1000,
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
        "tags": dict(_tag_items(tags)) if tags else {},
        "loudness": loudness,
        "chapters": [
            {
                "index": i,
                "title": mark.title,
                "start": timeline.ms(mark.start) / 1000,
                "end": timeline.ms(mark.end) / 1000,
            }
            for i, mark in enumerate(timeline.chapters)
        ],
        "utterances": utterances,
        "cues": cues or [],
        "removed": plan.removed_json(),
        "placeholders": plan.placeholder_details(),
    }


def write_manifest(data: dict[str, Any], path: Path) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
