"""Progress as rich draws it: an utterances bar with ETA, named by the stage (the render's
synthesis and the later stages; proof-listening's transcription)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RichProgress:
    """Draws the progress of a command: an utterances bar with ETA, then the later stages.

    The live display starts with the bar (``start``), so an early error prints only its one
    line; the bar is named by the last stage given (at first: Synthesizing).
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("utterances"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
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
