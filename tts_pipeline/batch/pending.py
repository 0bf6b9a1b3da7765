"""A document a batch has still to render, and the outcome of one that failed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.batch_report import DocumentOutcome, Outcome
from tts_pipeline.outputs.layout import OutputLayout


@dataclass(frozen=True)
class PendingDocument:
    """A document to render: where it is, where its files go, how much it says."""

    source: Path
    layout: OutputLayout
    characters: int  # spoken characters (the batch's progress counts them)

    @property
    def name(self) -> str:
        return str(self.source)


def failure(source: Path, exc: BaseException) -> DocumentOutcome:
    """A failed document's outcome, with the error in one line (a user's mistake or an
    engine's error as it is said; anything else with the name of what went wrong)."""
    message = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
    return DocumentOutcome(source, Outcome.FAILED, reason=" ".join(message.split()))
