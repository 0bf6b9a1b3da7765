"""Where takes are kept by key: the take cache on disk (``cache.TakeCache``) or, for one render,
in memory."""

from __future__ import annotations

from typing import Protocol

from tts_pipeline.engines.base import Take
from tts_pipeline.errors import PipelineError


class TakeStore(Protocol):
    # Whether the takes outlive this process (a failed render can be resumed from them).
    durable: bool

    def get(self, key: str) -> Take | None: ...

    def put(self, key: str, take: Take) -> None: ...


class MemoryStore:
    """Takes kept for the duration of one render (``--no-cache``)."""

    durable = False

    def __init__(self) -> None:
        self._takes: dict[str, Take] = {}

    def get(self, key: str) -> Take | None:
        return self._takes.get(key)

    def put(self, key: str, take: Take) -> None:
        self._takes[key] = take


def stored_take(store: TakeStore, key: str) -> Take:
    """The take stored under ``key``, which must be there."""
    take = store.get(key)
    if take is None:  # removed (cache clear) or damaged since it was stored: say so, no traceback
        raise PipelineError(
            f"a take ({key[:12]}) left the take cache during the render (another process "
            "cleared it, or the file was damaged); run the same command again"
        )
    return take
