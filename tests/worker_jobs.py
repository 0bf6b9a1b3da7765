"""Jobs for the worker-process tests: spawned workers import them by name, so they live in a
module of their own that imports little (each worker pays for its imports)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tts_pipeline.engines.local_zh.model import BakerRuntime, ModelFiles


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


# The offline engine's worker set-up, noting each call (a model load) in the file $SETUP_LOG
# names: the batch tests count them.
SETUP_LOG = "TTS_PIPELINE_TEST_SETUP_LOG"


def counting_runtime(files: ModelFiles, threads: int) -> BakerRuntime:
    from tts_pipeline.engines.local_zh.chunk_model import worker_runtime

    with open(os.environ[SETUP_LOG], "a", encoding="ascii") as log:
        log.write(f"{os.getpid()}\n")
    return worker_runtime(files, threads)
