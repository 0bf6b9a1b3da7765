"""What a render reports while it runs; the CLI draws it, the Python API may ignore it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def stage(self, name: str) -> None: ...

    def start(self, total: int, done: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    """Progress that goes nowhere."""

    def stage(self, name: str) -> None:
        pass

    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass
