"""Jobs for the worker-process tests: spawned workers import them by name, so they live in a
module of their own that imports little (each worker pays for its imports)."""

from __future__ import annotations

import os
import time

import numpy as np


def setup(offset: int) -> int:
    return offset


def failing_setup(offset: int) -> int:
    raise ValueError(f"no model for {offset}")


def add(offset: int, job: int) -> int:
    if job == 13:
        raise RuntimeError("thirteen")
    if job == 77:
        time.sleep(60)  # a worker that is stuck
    if job == 99:
        os._exit(3)  # a worker that dies (crash, OOM kill) without answering
    return job + offset


def big(offset: int, job: int) -> np.ndarray:
    # Far larger than a pipe's buffer: the worker is still writing when the consumer stops.
    return np.full(1_000_000, job + offset, dtype=np.float32)
