"""Test helpers: read audio files back with the real ffmpeg (decode, metadata, EBU R128)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tts_pipeline.audio.timeline import Timeline
from tts_pipeline.engines.base import Speakability, SynthesisRequest, Take
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.outputs.programme import to_pcm16
from tts_pipeline.voices import VoiceProfile


@dataclass
class FileMeta:
    tags: dict[str, str] = field(default_factory=dict)
    chapters: list[dict[str, object]] = field(default_factory=list)  # start_ms, end_ms, title


def _unescape(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        out.append(next(chars, "") if ch == "\\" else ch)
    return "".join(out)


def _logical_lines(text: str) -> list[str]:
    """FFMETADATA lines; a backslash before a newline continues the value."""
    lines: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current += [ch, next(chars, "")]
        elif ch == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        lines.append("".join(current))
    return lines


def _split_key(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == "=":
            return _unescape(line[:i]), _unescape(line[i + 1 :])
        i += 1
    return _unescape(line), ""


def ffmetadata(path: Path) -> FileMeta:
    """Global tags and chapters as ``ffmpeg -i FILE -f ffmetadata -`` prints them.

    ``-copyts`` keeps chapter times as stored (otherwise ffmpeg shifts them by the stream's
    start time, e.g. the MP3 encoder delay)."""
    text = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-copyts", "-i", str(path), "-f", "ffmetadata", "-"],
        stdin=subprocess.DEVNULL,  # ffmpeg reads the terminal otherwise (stops a background run)
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    meta = FileMeta()
    chapter: dict[str, object] | None = None
    base = (1, 1000)
    for line in _logical_lines(text)[1:]:
        if line == "[CHAPTER]":
            chapter = {}
            meta.chapters.append(chapter)
            continue
        if not line or line.startswith(";"):
            continue
        key, value = _split_key(line)
        if chapter is None:
            meta.tags[key] = value
        elif key == "TIMEBASE":
            num, den = value.split("/")
            base = (int(num), int(den))
        elif key in ("START", "END"):
            chapter[f"{key.lower()}_ms"] = round(int(value) * base[0] * 1000 / base[1])
        else:
            chapter[key] = value
    return meta


def pcm_of(timeline: Timeline, takes: Iterable[np.ndarray]) -> Iterator[bytes]:
    """A programme as the encoder reads it (16-bit PCM): each take, then the silence after it."""
    for placement, samples in zip(timeline.placements, takes, strict=True):
        yield to_pcm16(samples)
        yield bytes(2 * placement.gap_after)


def decode(path: Path, rate: int = 24_000) -> np.ndarray:
    """The file decoded to mono float samples at ``rate``."""
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-",
        ],
        stdin=subprocess.DEVNULL,  # ffmpeg reads the terminal otherwise (stops a background run)
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


@dataclass(frozen=True)
class R128:
    integrated: float  # LUFS
    true_peak: float  # dBTP


def ebur128(path: Path) -> R128:
    """ffmpeg's own EBU R128 meter on the decoded file (integrated loudness, true peak)."""
    result = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        stdin=subprocess.DEVNULL,  # ffmpeg reads the terminal otherwise (stops a background run)
        capture_output=True,
        check=True,
    )
    summary = result.stderr.decode("utf-8", "replace").rsplit("Summary:", 1)[-1]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return R128(float(integrated.group(1)), float(peak.group(1)))


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """A 16-bit mono WAV (via ffmpeg) of float samples."""
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2").tobytes()
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "s16le",
            "-ar",
            str(rate),
            "-ac",
            "1",
            "-i",
            "pipe:0",
            str(path),
        ],
        input=pcm,
        check=True,
    )
    return path


def voiced_regions(
    samples: np.ndarray, rate: int, threshold_db: float = -45.0, min_gap: float = 0.15
) -> list[tuple[float, float]]:
    """(start, end) seconds of the loud stretches, joined across gaps shorter than ``min_gap``."""
    hop = rate // 1000  # 1 ms resolution
    n = len(samples) // hop
    frames = samples[: n * hop].reshape(n, hop)
    loud = np.max(np.abs(frames), axis=1) > 10 ** (threshold_db / 20)
    idx = np.flatnonzero(loud)
    if not len(idx):
        return []
    regions: list[list[int]] = [[int(idx[0]), int(idx[0]) + 1]]
    for i in idx[1:]:
        if i - regions[-1][1] < min_gap * 1000:
            regions[-1][1] = int(i) + 1
        else:
            regions.append([int(i), int(i) + 1])
    return [(a / 1000, b / 1000) for a, b in regions]


# ---------------------------------------------------------------------------------------------
# Synthetic takes and a tiny engine that implements the Engine protocol with them

SR = 24_000


def tone(seconds: float, freq: float = 220.0, amp: float = 0.3, rate: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, rate: int = SR) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.float32)


def noise(seconds: float, dbfs: float, seed: int = 0, rate: int = SR) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rms = 10 ** (dbfs / 20)
    return (rng.standard_normal(round(seconds * rate)) * rms).astype(np.float32)


def click(amp: float = 0.5, rate: int = SR) -> np.ndarray:
    """A 1 ms click."""
    return np.full(rate // 1000, amp, dtype=np.float32)


class SyntheticEngine:
    """An Engine whose takes come from ``make(text, index) -> Take`` (no speech at all)."""

    name = "synthetic"

    def __init__(self, make: Callable[[str, int], Take]) -> None:
        self.make = make

    def identity(self, voice: VoiceProfile) -> str:
        return f"synthetic/{voice.name}"

    def check(self, voice: VoiceProfile) -> None:
        return None

    def speakability(self, text: str, voice: VoiceProfile) -> Speakability:
        return Speakability()  # it makes a take of anything

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        for r in requests:
            yield r.index, self.make(r.text, r.index)
