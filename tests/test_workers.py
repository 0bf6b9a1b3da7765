"""The engine's worker processes: every result arrives, failures are reported, stopping is quick."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from tests.worker_jobs import add, big, failing_setup, setup
from tts_pipeline.engines.workers import WorkerError, WorkerPool, WorkerTask, run_in_workers


def test_every_job_gives_its_result() -> None:
    results = list(run_in_workers(range(12), 2, WorkerTask(setup, (100,), add)))
    assert sorted(results) == list(range(100, 112))
    assert multiprocessing.active_children() == []


def test_jobs_are_drawn_lazily() -> None:
    drawn: list[int] = []

    def jobs():
        for job in range(50):
            drawn.append(job)
            yield job

    results = run_in_workers(jobs(), 2, WorkerTask(setup, (0,), add))
    next(results)
    # Two jobs queued at each worker, one more given to the worker that answered.
    assert len(drawn) <= 5
    results.close()
    assert multiprocessing.active_children() == []


def test_a_failing_job_is_reported() -> None:
    with pytest.raises(WorkerError, match="RuntimeError: thirteen"):
        list(run_in_workers(range(20), 2, WorkerTask(setup, (0,), add)))
    assert multiprocessing.active_children() == []


def test_a_failing_setup_is_reported_with_the_first_job() -> None:
    with pytest.raises(WorkerError, match="ValueError: no model for 7"):
        list(run_in_workers(range(4), 2, WorkerTask(failing_setup, (7,), add)))
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_is_reported() -> None:
    with pytest.raises(WorkerError, match="stopped unexpectedly.*exit code 3"):
        list(run_in_workers([1, 2, 99, 4, 5], 2, WorkerTask(setup, (0,), add)))
    assert multiprocessing.active_children() == []


def test_a_stuck_worker_is_reported() -> None:
    started = time.monotonic()
    with pytest.raises(WorkerError, match="no worker process answered for 2 s"):
        list(run_in_workers([1, 77, 2], 2, WorkerTask(setup, (0,), add), answer_timeout=2))
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []


def test_stopping_while_workers_send_large_results_is_quick() -> None:
    # multiprocessing.Pool could hang for ever here: terminate() while a worker held the shared
    # result queue's lock. Each round stops at another moment of the workers' writing.
    for round_ in range(6):
        results = run_in_workers(range(40), 2, WorkerTask(setup, (round_,), big))
        first = next(results)
        assert first.shape == (1_000_000,)
        time.sleep(0.01 * (round_ % 4))
        started = time.monotonic()
        results.close()
        assert time.monotonic() - started < 10
        assert multiprocessing.active_children() == []


def test_a_pool_keeps_its_workers_from_one_run_to_the_next() -> None:
    with WorkerPool(2, WorkerTask(setup, (100,), add)) as pool:
        assert sorted(pool.run(range(6))) == list(range(100, 106))
        workers = sorted(p.pid or 0 for p in multiprocessing.active_children())
        assert sorted(pool.run(range(6, 10))) == list(range(106, 110))
        assert sorted(p.pid or 0 for p in multiprocessing.active_children()) == workers
        assert pool.started == 2  # each worker ran the set-up once, for both runs
    assert multiprocessing.active_children() == []


def test_a_pool_replaces_the_workers_a_failed_run_lost() -> None:
    with WorkerPool(2, WorkerTask(setup, (0,), add)) as pool:
        with pytest.raises(WorkerError, match="exit code 3"):
            list(pool.run([1, 2, 99, 4, 5, 6, 7]))
        assert sorted(pool.run(range(4))) == [0, 1, 2, 3]  # no stale answer of the failed run
        assert pool.started in (3, 4)  # the dead one, and the other if it had jobs in flight
    assert multiprocessing.active_children() == []
