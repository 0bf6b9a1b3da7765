"""Loudness measurements kept on disk between renders (in the take cache's folder): a re-render
measures nothing it has measured before."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np

from tts_pipeline.atomic import write_text_atomic
from tts_pipeline.audio.loudness.meter import MEASUREMENT_VERSION, TakeLoudness


class MeasurementStore:
    """Loudness measurements of trimmed takes (meter.TakeLoudness), addressed by the digest
    of the audio measured: a re-render measures nothing it has measured before. Best effort:
    an unreadable or unwritable entry is measured again, never an error."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, digest: str) -> TakeLoudness | None:
        try:
            data = json.loads(self.path(digest).read_text(encoding="utf-8"))
            if data.get("version") != MEASUREMENT_VERSION:
                return None
            return TakeLoudness(
                blocks=np.array(data["blocks"], dtype=np.float64),
                own=float(data["own"]),
                peak=float(data["peak"]),
                seconds=float(data["seconds"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, digest: str, measured: TakeLoudness) -> None:
        data = {
            "version": MEASUREMENT_VERSION,
            "own": measured.own,  # -Infinity for silence: json writes and reads it back
            "peak": measured.peak,
            "seconds": measured.seconds,
            "blocks": measured.blocks.tolist(),  # float64 repr: read back exactly
        }
        with contextlib.suppress(OSError):
            write_text_atomic(self.path(digest), json.dumps(data))
