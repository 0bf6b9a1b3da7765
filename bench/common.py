"""Shared by the benchmark scripts: the reference speech, renders in fresh child processes with
their CPU time and peak memory, and the machine's load.

Every measurement runs in a child process of its own (``in_child``), so each one starts cold
(no models, no front end, no allocator history in this process) and its peak memory is its own.
The child also reports the largest peak among the processes it starts (ffmpeg, the synthesis
workers), sampled while they run; that memory is not included in the render's own figure.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "samples" / "speech_zh.txt"

if str(ROOT) not in sys.path:  # the scripts run as ``python bench/x.py`` from the repository
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class RenderFigures:
    """One render, as the benchmarks report it."""

    jobs: int
    audio_seconds: float
    characters: int
    utterances: int
    synthesized: int
    wall_seconds: float
    synthesis_seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # this process and every process it waited for (workers, ffmpeg)
    peak_rss_mb: float = 0.0  # the render's own process
    peak_child_rss_mb: float = 0.0  # the largest of its children (ffmpeg, workers)

    @property
    def outside_synthesis(self) -> float:
        """Share of the wall time spent outside synthesis."""
        return (self.wall_seconds - self.synthesis_seconds) / self.wall_seconds

    @property
    def characters_per_second(self) -> float:
        return self.characters / self.wall_seconds

    @property
    def real_time_factor(self) -> float:
        """Synthesis seconds per second of audio."""
        return self.synthesis_seconds / self.audio_seconds


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory (VmHWM) of a process since it started its program, in MB.

    Not ``ru_maxrss``: Linux carries a process's peak across exec, so a child that Python
    forks (or vforks) to run ffmpeg would report the forking process's memory as its own."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class ChildMemory:
    """Samples the peak memory of this process's children (ffmpeg, synthesis workers) while
    they run: a thread reads their VmHWM every ``interval`` seconds."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            for pid in _children(me):
                peak = peak_rss_mb(pid)
                if peak is not None:
                    self.peak_mb = max(self.peak_mb, peak)


def _children(parent: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{parent}/task").glob("*/children"):
        try:
            pids += [int(p) for p in task.read_text().split()]
        except (OSError, ValueError):
            continue
    return pids


def rusage_figures(children: ChildMemory | None = None) -> dict[str, float]:
    """CPU seconds of this process and its waited-for children; peak RSS of this process and
    of the largest child (MB)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_seconds": own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime,
        "peak_rss_mb": peak_rss_mb() or own.ru_maxrss / 1024,  # ru_maxrss: kB on Linux
        "peak_child_rss_mb": children.peak_mb if children else 0.0,
    }


def render_figures(
    source: Path,
    *,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    engine: Any | None = None,
    formats: tuple[str, ...] | None = None,
    cores: int | None = None,
) -> RenderFigures:
    """Render ``source`` (no take cache unless ``cache_dir``) into a temporary folder.

    ``cores`` restricts this process (and the workers it starts) to that many CPUs."""
    if cores is not None:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])
    from tts_pipeline.render import RenderSettings, render
    from tts_pipeline.synthesis.cache import TakeCache
    from tts_pipeline.synthesis.store import MemoryStore
    from tts_pipeline.voices import load_profile

    with tempfile.TemporaryDirectory(prefix="tts-bench-") as out:
        extra: dict[str, Any] = {"formats": formats} if formats else {}
        settings = RenderSettings(
            voice=load_profile(None),
            output_dir=Path(out),
            jobs=jobs,
            cache_dir=cache_dir,
            use_cache=cache_dir is not None,
            **extra,
        )
        store = TakeCache(cache_dir) if cache_dir is not None else MemoryStore()
        with ChildMemory() as children:
            result = render(source, settings, store=store, engine=engine)
    return RenderFigures(
        jobs=result.jobs,
        audio_seconds=result.duration,
        characters=result.characters,
        utterances=result.utterances,
        synthesized=result.synthesized,
        wall_seconds=result.wall_seconds,
        synthesis_seconds=result.synthesis_seconds,
        timings=dict(result.timings),
        **rusage_figures(children),
    )


def _child(connection: Connection, function: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    # LiteRT greets on stderr from every process ("Created TensorFlow Lite XNNPACK delegate");
    # a failure comes back through the pipe instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        connection.send((True, function(**kwargs)))
    except BaseException:  # noqa: BLE001 - shown by the parent
        connection.send((False, traceback.format_exc()))
    finally:
        connection.close()


def in_child(function: Callable[..., Any], **kwargs: Any) -> Any:
    """``function(**kwargs)`` in a fresh (spawned) process; its return value must pickle."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, kwargs))
    process.start()
    sender.close()
    try:
        ok, value = receiver.recv()
    except EOFError:
        ok, value = False, f"the child process died (exit code {process.exitcode})"
    process.join()
    if not ok:
        raise RuntimeError(f"benchmark child failed:\n{value}")
    return value


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def cores() -> int:
    return len(os.sched_getaffinity(0))


def wait_for_quiet(threshold: float = 0.3, timeout: float = 0.0) -> None:
    """Wait (up to ``timeout`` seconds) until the 1-minute load average is under
    ``threshold`` × cores: other processes would slow a run down."""
    deadline = time.monotonic() + timeout
    while os.getloadavg()[0] > threshold * cores() and time.monotonic() < deadline:
        time.sleep(5)
