"""The edge engine's asyncio plumbing: a batch's failure count and when it stops, waiting for
a batch's tasks, and the idle watchdog around one request."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from tts_pipeline.engines.edge.retry import ServiceStalled
from tts_pipeline.errors import EngineStopped, SettingsError


class IdleWatchdog:
    """Run a coroutine as a task; cancel it when no progress was reported for ``idle`` seconds.

    aiohttp does not apply socket read timeouts to websockets and edge-tts sets no receive
    timeout, so a service that accepts the request and then goes quiet would hang forever.
    """

    def __init__(self, idle: float, grace: float) -> None:
        self._idle = idle
        self._grace = grace
        self._last = 0.0

    def touch(self) -> None:
        self._last = asyncio.get_running_loop().time()

    async def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        loop = asyncio.get_running_loop()
        self._last = loop.time()
        task = asyncio.ensure_future(coroutine)
        try:
            while True:
                remaining = self._last + self._idle - loop.time()
                if remaining <= 0:
                    raise ServiceStalled(f"no data from the service for {self._idle:g} s")
                done, _ = await asyncio.wait({task}, timeout=remaining)
                if done:
                    task.result()
                    return
        finally:
            if not task.done():
                await cancel_and_wait(task, self._grace)


async def cancel_and_wait(task: asyncio.Future[Any], grace: float) -> None:
    """Cancel a task and give it ``grace`` seconds to clean up; cancel again if it lingers (a
    websocket close handshake with a silent peer would otherwise wait 10 s)."""
    for _ in range(2):
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if done:
            break
    if task.done() and not task.cancelled():
        task.exception()  # mark as retrieved: the failure that matters is already reported


async def until_done_or_stopped(tasks: list[asyncio.Task[None]], stopped: asyncio.Event) -> None:
    """Wait for all tasks, or until ``stopped`` is set; cancel whatever still runs either way."""
    stop_waiter = asyncio.create_task(stopped.wait())
    try:
        pending: set[asyncio.Future[Any]] = {*tasks, stop_waiter}
        while pending and not stop_waiter.done():
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if not any(task in pending for task in tasks):
                break
    finally:
        stop_waiter.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, stop_waiter, return_exceptions=True)


@dataclass
class BatchState:
    """The failed utterances of a batch, and the decision to stop."""

    limit: int
    failures: list[tuple[int, str]] = field(default_factory=list)
    in_a_row: int = 0
    fatal: SettingsError | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def record_success(self) -> None:
        self.in_a_row = 0

    def record_failure(self, index: int, reason: str) -> None:
        if self.stopped.is_set():  # a request in flight when the run stopped: not another try
            return
        self.failures.append((index, reason))
        self.in_a_row += 1
        if self.in_a_row >= self.limit:
            self.stopped.set()

    def abort(self, error: SettingsError) -> None:
        self.fatal = self.fatal or error
        self.stopped.set()

    def raise_outcome(self) -> None:
        if self.fatal is not None:
            raise self.fatal
        if not self.failures:
            return
        last_index, last_reason = self.failures[-1]
        if self.stopped.is_set():
            raise EngineStopped(
                f"edge-tts failed {self.in_a_row} utterances in a row, stopped "
                f"(last: utterance {last_index}: {last_reason})"
            )
        first_index, first_reason = self.failures[0]
        raise EngineStopped(
            f"edge-tts could not synthesize {len(self.failures)} utterance(s) "
            f"(first: utterance {first_index}: {first_reason})"
        )


class Stopped(Exception):
    """The batch stopped before this piece was sent."""


def first_cause(group: BaseExceptionGroup) -> BaseException:
    """The error to report for a failed utterance: a settings error first, else the first
    failure that is not a stop or a cancellation."""
    leaves: list[BaseException] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                walk(inner)
        else:
            leaves.append(error)

    walk(group)
    for kind in (SettingsError, Exception):
        for error in leaves:
            if isinstance(error, kind) and not isinstance(error, Stopped):
                return error
    return leaves[0] if leaves else group
