"""Takes in plan order for the programme, each as soon as synthesis has stored it."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from tts_pipeline.engines.base import Take
from tts_pipeline.synthesis.store import TakeStore, stored_take


class TakeFeed:
    """Takes in plan order for the production thread, each as soon as it is stored.

    The synthesis side says which keys the utterances have (``begin``, again when the fallback
    voice changes some) and which keys are stored (``mark``); ``take(i)`` waits for
    utterance ``i``'s take, or returns None once ``close`` says no more will come, or once
    ``finish`` says synthesis is over and the take is not there (the production then stops
    instead of waiting for ever).
    """

    def __init__(self, store: TakeStore) -> None:
        self._store = store
        self._changed = threading.Condition()
        self._keys: list[str] | None = None
        self._ready: set[str] = set()
        self._closed = False
        self._finished = False

    def begin(self, keys: list[str], ready: Iterable[str]) -> None:
        with self._changed:
            self._keys = list(keys)
            self._ready.update(ready)
            self._changed.notify_all()

    def mark(self, key: str) -> None:
        with self._changed:
            self._ready.add(key)
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def finish(self) -> None:
        """Synthesis is over: a take that is not ready now never will be."""
        with self._changed:
            self._finished = True
            self._changed.notify_all()

    def take(self, index: int) -> Take | None:
        with self._changed:
            while True:
                if self._closed:
                    return None
                if self._keys is not None and self._keys[index] in self._ready:
                    key = self._keys[index]
                    break
                if self._finished:
                    return None
                self._changed.wait()
        return stored_take(self._store, key)
