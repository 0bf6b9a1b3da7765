"""What a batch reports while it runs; the CLI draws it, the Python API may ignore it."""

from __future__ import annotations

from typing import Protocol

from tts_pipeline.outputs.batch_report import DocumentOutcome
from tts_pipeline.synthesis.progress import NoProgress, Progress


class BatchProgress(Protocol):
    def begin(self, documents: int, characters: int) -> None:
        """The documents to render now (the others are settled: skipped or failed already)
        and their spoken characters."""
        ...

    def document(self, name: str, characters: int) -> Progress:
        """A document starts: the progress of its own render."""
        ...

    def ended(self, outcome: DocumentOutcome) -> None:
        """A document is settled: done, failed or skipped."""
        ...


class NoBatchProgress:
    """Progress that goes nowhere."""

    def begin(self, documents: int, characters: int) -> None:
        pass

    def document(self, name: str, characters: int) -> Progress:
        return NoProgress()

    def ended(self, outcome: DocumentOutcome) -> None:
        pass
