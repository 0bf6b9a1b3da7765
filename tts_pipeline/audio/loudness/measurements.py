"""Loudness measurements kept on disk between renders (in the take cache's folder): a re-render
measures nothing it has measured before."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import numpy as np

from tts_pipeline.atomic import write_text_atomic
from tts_pipeline.audio.loudness.meter import MEASUREMENT_VERSION, TakeLoudness

MEASUREMENT_FORMAT = 2  # the measurement file's layout (2: the audio's digest and a checksum)


class MeasurementStore:
    """Loudness measurements of trimmed takes (meter.TakeLoudness), addressed by the digest
    of the audio measured: a re-render measures nothing it has measured before.

    Kept with the integrity of takes: each file names the audio it measured and carries a
    SHA-256 of its numbers; a file that does not match (a flipped digit, a truncated file,
    another file's numbers) reads as missing and the take is measured again. Best effort: an
    unreadable or unwritable entry is measured again, never an error. (Whether the numbers can
    belong to the audio is checked by whoever has the audio: meter.measurement_fits.)"""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, digest: str) -> TakeLoudness | None:
        try:
            data = json.loads(self.path(digest).read_text(encoding="utf-8"))
            numbers = data["measurement"]
            if (
                data.get("format") != MEASUREMENT_FORMAT
                or numbers.get("version") != MEASUREMENT_VERSION
                or numbers.get("audio") != digest
                or data.get("sha256") != _measurement_checksum(numbers)
            ):
                return None
            blocks = np.array(numbers["blocks"], dtype=np.float64)
            if blocks.ndim != 1:
                return None
            return TakeLoudness(
                blocks=blocks,
                own=float(numbers["own"]),
                peak=float(numbers["peak"]),
                seconds=float(numbers["seconds"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, digest: str, measured: TakeLoudness) -> None:
        numbers = {
            "version": MEASUREMENT_VERSION,
            "audio": digest,
            "own": measured.own,  # -Infinity for silence: json writes and reads it back
            "peak": measured.peak,
            "seconds": measured.seconds,
            "blocks": measured.blocks.tolist(),  # float64 repr: read back exactly
        }
        data = {
            "format": MEASUREMENT_FORMAT,
            "sha256": _measurement_checksum(numbers),
            "measurement": numbers,
        }
        with contextlib.suppress(OSError):
            write_text_atomic(self.path(digest), json.dumps(data))


def _measurement_checksum(numbers: dict[str, object]) -> str:
    """SHA-256 of a measurement's numbers as JSON (floats in their shortest exact form)."""
    return hashlib.sha256(json.dumps(numbers, sort_keys=True).encode("utf-8")).hexdigest()
