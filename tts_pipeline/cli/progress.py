"""Progress as rich draws it: an utterances bar with ETA, named by the stage (the render's
synthesis and the later stages; proof-listening's transcription); a batch's: one line for the
batch over the bars of its documents."""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tts_pipeline.outputs.batch_report import DocumentOutcome, Outcome


def _document_columns() -> tuple[ProgressColumn, ...]:
    """A document's bar: utterances done of all, time taken, ETA."""
    return (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("utterances"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )


class RichProgress:
    """Draws the progress of a command: an utterances bar with ETA, then the later stages.

    The live display starts with the bar (``start``), so an early error prints only its one
    line; the bar is named by the last stage given (at first: Synthesizing).
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(*_document_columns(), console=console, transient=False)
        self._task: TaskID | None = None
        self._stage = "Synthesizing"

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._progress.stop()

    def stage(self, name: str) -> None:
        self._stage = name
        if self._task is not None:
            self._progress.update(self._task, description=name)

    def start(self, total: int, done: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(self._stage, total=total, completed=done)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)


class RichBatchProgress:
    """Draws a batch's progress: one line for the batch (documents done, failed and skipped of
    all, spoken characters per second, ETA) over the bars of the documents being rendered."""

    def __init__(self, console: Console) -> None:
        self._batch = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[speed]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self._documents = Progress(*_document_columns(), console=console)
        self._live = Live(Group(self._batch, self._documents), console=console)
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._counts = {outcome: 0 for outcome in Outcome}
        self._total = 0
        self._rows: dict[str, _DocumentRows] = {}
        self._started = time.monotonic()
        self._characters = 0.0  # spoken characters rendered so far (synthesized, in part)

    def __enter__(self) -> RichBatchProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._live.update(self._batch)  # the documents' rows are gone by now
            self._live.stop()

    def begin(self, documents: int, characters: int) -> None:
        settled = sum(self._counts.values())
        self._total = settled + documents
        self._started = time.monotonic()
        self._live.start()
        self._task = self._batch.add_task("Batch", total=max(1, characters), **self._fields())

    def document(self, name: str, characters: int) -> _DocumentRows:
        rows = _DocumentRows(self, name, characters)
        with self._lock:
            self._rows[name] = rows
        return rows

    def ended(self, outcome: DocumentOutcome) -> None:
        with self._lock:
            self._counts[outcome.outcome] += 1
            rows = self._rows.pop(str(outcome.source), None)
        if rows is not None:
            rows.close()
        if self._task is not None:
            self._batch.update(self._task, **self._fields())

    def characters(self, count: float) -> None:
        """Spoken characters rendered (a part of a document's)."""
        if self._task is None:
            return
        with self._lock:
            self._characters += count
        self._batch.update(self._task, advance=count, **self._fields())

    def _fields(self) -> dict[str, Any]:
        elapsed = max(1e-9, time.monotonic() - self._started)
        counts = ", ".join(f"{self._counts[o]} {o.value}" for o in Outcome)
        return {
            "counts": f"{counts} of {self._total} documents",
            "speed": f"{self._characters / elapsed:.0f} characters/s",
        }

    @property
    def rows(self) -> Progress:
        return self._documents


class _DocumentRows:
    """One document's bars under the batch's line: synthesis, then levelling and encoding."""

    def __init__(self, batch: RichBatchProgress, name: str, characters: int) -> None:
        self._batch, self._name, self._characters = batch, name, characters
        self._task: TaskID | None = None
        self._total = 0
        self._counted = 0.0  # characters given to the batch's line
        self._synthesizing = True

    def stage(self, name: str) -> None:
        if self._task is not None:
            self._batch.rows.update(self._task, description=f"{self._name}: {name}")

    def start(self, total: int, done: int) -> None:
        if self._task is None:
            self._task = self._batch.rows.add_task(
                f"{self._name}: Synthesizing", total=total, completed=done
            )
            self._total = max(1, total)
            self._count(done)
        else:  # the production catching up: the same row counts again
            self._synthesizing = False
            self._batch.rows.update(self._task, total=total, completed=done)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._batch.rows.advance(self._task, n)
        if self._synthesizing:
            self._count(n)

    def close(self) -> None:
        """The document is settled: its row goes, its characters all count."""
        if self._task is not None:
            self._batch.rows.remove_task(self._task)
        self._batch.characters(self._characters - self._counted)
        self._counted = self._characters

    def _count(self, utterances: int) -> None:
        share = min(self._characters - self._counted, self._characters * utterances / self._total)
        self._counted += share
        self._batch.characters(share)
