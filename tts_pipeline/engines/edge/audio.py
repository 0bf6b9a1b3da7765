"""Audio helpers for the edge engine: MP3 → float32 PCM, silence, boundaries, joining pieces."""

from __future__ import annotations

import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tts_pipeline.engines.base import Boundary
from tts_pipeline.ffmpeg import ffmpeg_exe

# The service always answers with audio-24khz-48kbitrate-mono-mp3.
SAMPLE_RATE = 24_000
TICKS_PER_SECOND = 10_000_000  # boundary offsets and durations come in 100-ns ticks


class AudioDecodeError(Exception):
    """ffmpeg could not turn the bytes we received into audio (a damaged or empty stream)."""


class TruncatedAudio(Exception):
    """The stream ended early: the connection closed before the whole text was spoken."""


@dataclass(frozen=True)
class Piece:
    """Decoded audio of one service request and the boundaries it reported."""

    samples: np.ndarray
    boundaries: tuple[Boundary, ...]

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def decode_mp3(data: bytes, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode MP3 bytes to mono float32 samples through an ffmpeg pipe (no temporary files)."""
    if not data:
        raise AudioDecodeError("no audio bytes to decode")
    command = [
        ffmpeg_exe(),
        *("-hide_banner", "-nostdin", "-loglevel", "error"),
        *("-f", "mp3", "-i", "pipe:0"),
        *("-f", "f32le", "-acodec", "pcm_f32le", "-ac", "1", "-ar", str(sample_rate), "pipe:1"),
    ]
    result = subprocess.run(command, input=data, capture_output=True, check=False, timeout=120)
    if result.returncode != 0 or not result.stdout:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioDecodeError(detail[-1] if detail else "ffmpeg produced no audio")
    usable = len(result.stdout) - len(result.stdout) % 4
    return np.frombuffer(result.stdout[:usable], dtype=np.float32).copy()


def silence(seconds: float, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    return np.zeros(max(0, round(seconds * sample_rate)), dtype=np.float32)


def boundary_from_ticks(text: str, offset: float, duration: float) -> Boundary:
    start = offset / TICKS_PER_SECOND
    return Boundary(text=text, start=start, end=start + duration / TICKS_PER_SECOND)


def check_complete(text: str, piece: Piece, *, tolerance: float = 0.25) -> None:
    """Raise TruncatedAudio if the piece is visibly shorter than what was asked for.

    edge-tts 7.x ends a stream quietly when the websocket closes before ``turn.end`` (aiohttp turns
    a dropped connection into a CLOSED message), so a cut-off answer looks like a good one. Two
    signs give it away: audio shorter than the service's own sentence boundaries announced, or a
    last sentence boundary that is not the end of the text.
    """
    if not piece.boundaries:
        return
    announced = max(boundary.end for boundary in piece.boundaries)
    if piece.duration + tolerance < announced:
        raise TruncatedAudio(f"{piece.duration:.2f} s of audio, sentences reach {announced:.2f} s")
    tail = _letters(piece.boundaries[-1].text)[-4:]
    if tail and not _letters(text).endswith(tail):
        raise TruncatedAudio("the last sentences never arrived")


def _letters(text: str) -> str:
    """Letters and digits only, case-folded: what both sides agree a text says."""
    return "".join(c for c in text if unicodedata.category(c)[0] in ("L", "N")).casefold()


def join_pieces(pieces: Sequence[Piece]) -> Piece:
    """Concatenate pieces, moving each piece's boundaries by the audio that precedes it."""
    if len(pieces) == 1:
        return pieces[0]
    shifted: list[Boundary] = []
    elapsed = 0.0
    for piece in pieces:
        shifted.extend(
            Boundary(text=b.text, start=b.start + elapsed, end=b.end + elapsed)
            for b in piece.boundaries
        )
        elapsed += piece.duration
    samples = np.concatenate([piece.samples for piece in pieces]).astype(np.float32, copy=False)
    return Piece(samples=samples, boundaries=tuple(shifted))
