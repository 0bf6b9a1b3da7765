"""A batch's report (``batch.json`` in the output folder, and the summary the command prints):
each document done, failed with the one-line reason, or skipped because its files were up to
date, as one typed object serialized once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from tts_pipeline.atomic import write_text_atomic

FORMAT_VERSION = 1


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # its files were up to date


@dataclass(frozen=True)
class DocumentOutcome:
    """What became of one document."""

    source: Path
    outcome: Outcome
    reason: str = ""  # why it failed, or why it was skipped
    outputs: dict[str, Path] = field(default_factory=dict)  # kind → file (done or skipped)
    characters: int = 0  # spoken characters
    duration: float = 0.0  # seconds of audio (done)
    seconds: float = 0.0  # wall time of its render (done)
    synthesized: int = 0  # takes synthesized (the rest came from the take cache)
    warnings: tuple[str, ...] = ()  # what the user should know (unused fill-ins, fallback, …)

    def to_json(self, folder: Path) -> dict[str, Any]:
        data: dict[str, Any] = {"source": str(self.source), "status": self.outcome.value}
        if self.reason:
            data["reason"] = self.reason
        if self.outputs:
            data["outputs"] = {kind: _relative(path, folder) for kind, path in self.outputs.items()}
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.outcome is Outcome.DONE:
            data.update(
                characters=self.characters,
                duration=round(self.duration, 3),
                seconds=round(self.seconds, 2),
                synthesized=self.synthesized,
            )
        return data


@dataclass(frozen=True)
class BatchReport:
    executor: str  # "local" or "ray"
    documents: tuple[DocumentOutcome, ...]  # in the order the documents were found
    wall_seconds: float
    warnings: tuple[str, ...] = ()  # folders and patterns that named no document

    def count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.documents if d.outcome is outcome)

    @property
    def failed(self) -> bool:
        return self.count(Outcome.FAILED) > 0

    @property
    def characters_per_second(self) -> float:
        """Spoken characters of the documents rendered now, per second of the whole batch."""
        done = sum(d.characters for d in self.documents if d.outcome is Outcome.DONE)
        return done / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_json(self, folder: Path) -> dict[str, Any]:
        """The report as ``batch.json`` holds it; file names relative to ``folder``."""
        return {
            "format_version": FORMAT_VERSION,
            "executor": self.executor,
            "wall_seconds": round(self.wall_seconds, 2),
            "characters_per_second": round(self.characters_per_second, 1),
            "counts": {
                "total": len(self.documents),
                **{o.value: self.count(o) for o in Outcome},
            },
            "documents": [d.to_json(folder) for d in self.documents],
            "warnings": list(self.warnings),
        }

    def write(self, path: Path) -> None:
        text = json.dumps(self.to_json(path.parent), ensure_ascii=False, indent=2) + "\n"
        write_text_atomic(path, text)


def in_order(
    outcomes: Sequence[DocumentOutcome], sources: Sequence[Path]
) -> tuple[DocumentOutcome, ...]:
    """The outcomes in the order of ``sources``."""
    by_source = {o.source: o for o in outcomes}
    return tuple(by_source[s] for s in sources if s in by_source)


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)
