"""Async code from sync code: an async producer on a private event loop in a background thread,
consumed as a sync iterator (``BackgroundRun``), and one coroutine run to completion
(``run_sync``).

The engine protocol is synchronous (``synthesize`` is a plain generator) while edge-tts is async.
The producer runs in its own thread so the caller's thread stays free to store each result as it
arrives; stopping early (the consumer breaks, closes the generator, or Ctrl-C lands while it
waits) cancels the producer and waits for its clean-up, so no connection is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Emit = Callable[[T], None]


@dataclass(frozen=True)
class _Item(Generic[T]):
    value: T


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Done:
    """The job finished."""


class BackgroundRun(Generic[T]):
    """One run of ``job(emit)`` on a fresh loop in a daemon thread.

    Use as ``with BackgroundRun(job) as run: for item in run: …``.
    """

    def __init__(
        self,
        job: Callable[[Emit[T]], Awaitable[None]],
        *,
        name: str = "tts-edge-loop",
        poll_seconds: float = 0.2,
        stop_timeout: float = 10.0,
    ) -> None:
        self._job = job
        self._results: queue.Queue[_Item[T] | _Failed | _Done] = queue.Queue()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._poll = poll_seconds
        self._stop_timeout = stop_timeout
        self._thread = threading.Thread(target=self._thread_main, name=name, daemon=True)

    def __enter__(self) -> BackgroundRun[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                # A timeout keeps the wait interruptible by Ctrl-C on every platform.
                message = self._results.get(timeout=self._poll)
            except queue.Empty:
                if not self._thread.is_alive() and self._results.empty():
                    raise RuntimeError("the edge-tts worker ended without a result") from None
                continue
            if isinstance(message, _Item):
                yield message.value
            elif isinstance(message, _Failed):
                raise message.error
            else:
                return

    def stop(self) -> None:
        """Cancel the job if it still runs and wait (bounded) for its clean-up."""
        if not self._thread.is_alive():
            return
        self._ready.wait(self._stop_timeout)
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            # RuntimeError: the loop closed in the meantime, nothing left to cancel.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join(self._stop_timeout)

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # handed to the consuming thread
            self._results.put(_Failed(error))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._ready.set()
        try:
            await self._job(self._emit)
        except asyncio.CancelledError:
            return  # stop() asked for it; nobody is listening any more
        except Exception as error:
            self._results.put(_Failed(error))
            return
        self._results.put(_Done())

    def _emit(self, item: T) -> None:
        self._results.put(_Item(item))


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even if this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # A loop is running here (e.g. a notebook): run ours in a helper thread instead.
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:  # handed back to the caller below
            failure.append(error)

    thread = threading.Thread(target=target, name="tts-edge-sync", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
