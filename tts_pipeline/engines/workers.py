"""Worker processes for an engine: jobs in, results out as they complete, nothing shared.

``multiprocessing.Pool`` gives its workers one shared job queue and one shared result queue, each
guarded by a lock that lives across processes. Terminating a pool while a worker is writing a
large result nobody reads any more (the consumer stopped early) can leave a pool thread waiting
for that lock for ever, and ``terminate()`` with it: a test that stopped a render early once hung
a CI run until its time limit. Here each worker has a pipe of its own, only the parent decides
which worker gets which job, and stopping means terminating processes that hold no lock anyone
else waits for.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")
State = TypeVar("State")

# Jobs waiting at each worker: a worker never idles while the consumer of the results is busy
# (storing a take) or while the parent prepares the next job.
QUEUED_PER_WORKER = 2
# No answer from any busy worker for this long means one is stuck (a chunk takes seconds).
ANSWER_TIMEOUT_SECONDS = 300.0
# How long a terminated worker gets to exit before it is killed.
EXIT_GRACE_SECONDS = 5.0


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkerError(RuntimeError):
    """A job raised in a worker, a worker's set-up failed, or a worker process died."""


@dataclass(frozen=True)
class WorkerTask(Generic[State, Job, Result]):
    """What each worker runs: ``setup(*setup_args)`` once, then ``work(state, job)`` per job.

    Both must be module-level functions (workers are spawned, not forked)."""

    setup: Callable[..., State]
    setup_args: tuple[Any, ...]
    work: Callable[[State, Job], Result]


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    in_flight: int = 0


def _serve(conn: Connection, task: WorkerTask[Any, Any, Any]) -> None:
    # Ctrl-C reaches the whole process group; only the parent handles it (and terminates us).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        state, error = task.setup(*task.setup_args), None
    except Exception as exc:  # noqa: BLE001 - reported as the answer to every job
        state, error = None, f"{type(exc).__name__}: {exc}"
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone or closed our pipe
            return
        if error is not None:
            reply: tuple[bool, Any] = (False, error)
        else:
            try:
                reply = (True, task.work(state, job))
            except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it
                reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class WorkerPool(Generic[State, Job, Result]):
    """Worker processes that stay up from one run of jobs to the next (a batch of documents):
    each worker runs ``task.setup`` once, when it starts, whatever number of runs it serves.

    A run that ends early (its consumer stopped, a job failed, Ctrl-C) terminates the workers
    that still have jobs in flight, so no stale answer reaches the next run; a dead or
    terminated worker is started again, set-up included, when the next run needs it."""

    def __init__(self, processes: int, task: WorkerTask[State, Job, Result]) -> None:
        self.processes = max(1, processes)
        self.task = task
        self.started = 0  # worker processes started so far (each ran the set-up once)
        self._workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool[State, Job, Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Terminate every worker."""
        workers, self._workers = self._workers, []
        _stop(workers)

    def run(
        self, jobs: Iterable[Job], answer_timeout: float = ANSWER_TIMEOUT_SECONDS
    ) -> Iterator[Result]:
        """Each job's result as soon as a worker has it (not in job order).

        ``jobs`` is drawn lazily, in the calling thread, as workers need work: preparing the
        next jobs overlaps with the workers' set-up and synthesis."""
        self._fill()
        workers = list(self._workers)
        source = iter(jobs)
        exhausted = False

        def give(worker: _Worker) -> None:
            nonlocal exhausted
            if exhausted:
                return
            for job in source:
                try:
                    worker.conn.send(job)
                except OSError:
                    raise _died(worker) from None
                worker.in_flight += 1
                return
            exhausted = True

        try:
            # Round by round, so that the first jobs (the first takes) start side by side.
            for _ in range(QUEUED_PER_WORKER):
                for worker in workers:
                    give(worker)
            while True:
                busy = {worker.conn: worker for worker in workers if worker.in_flight}
                if not busy:
                    return
                ready = [c for c in wait(list(busy), answer_timeout) if isinstance(c, Connection)]
                if not ready:
                    raise WorkerError(f"no worker process answered for {answer_timeout:.0f} s")
                for conn in ready:
                    worker = busy[conn]
                    try:
                        ok, value = conn.recv()
                    except (EOFError, OSError):
                        raise _died(worker) from None
                    worker.in_flight -= 1
                    if not ok:
                        raise WorkerError(value)
                    # The worker still has a job queued while the consumer takes this result;
                    # the next one is drawn after, so a job that fails to be made loses no
                    # result.
                    yield value
                    give(worker)
        finally:
            self._drop_unfinished()

    def _fill(self) -> None:
        """Start workers until the pool has ``processes`` live ones."""
        self._drop_unfinished()
        context = multiprocessing.get_context("spawn")
        while len(self._workers) < self.processes:
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_serve, args=(child_end, self.task), daemon=True)
            process.start()
            child_end.close()  # so that the parent's recv sees EOF if the worker dies
            self._workers.append(_Worker(process, parent_end))
            self.started += 1

    def _drop_unfinished(self) -> None:
        """Stop the workers that have jobs in flight or have died."""
        gone = [w for w in self._workers if w.in_flight or not w.process.is_alive()]
        if gone:
            self._workers = [w for w in self._workers if w not in gone]
            _stop(gone)


def run_in_workers(
    jobs: Iterable[Job],
    processes: int,
    task: WorkerTask[Any, Job, Result],
    answer_timeout: float = ANSWER_TIMEOUT_SECONDS,
) -> Iterator[Result]:
    """Each job's result as soon as a worker has it (not in job order), from workers started
    for these jobs alone.

    Closing the iterator (or an exception, Ctrl-C included) terminates the workers without
    waiting for their jobs."""
    with WorkerPool(processes, task) as pool:
        yield from pool.run(jobs, answer_timeout)


def _died(worker: _Worker) -> WorkerError:
    worker.process.join(EXIT_GRACE_SECONDS)  # its pipe closes a moment before it is reaped
    return WorkerError(
        f"a worker process stopped unexpectedly (exit code {worker.process.exitcode})"
    )


def _stop(workers: list[_Worker]) -> None:
    for worker in workers:
        if worker.process.is_alive():
            worker.process.terminate()
    for worker in workers:
        worker.process.join(EXIT_GRACE_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
