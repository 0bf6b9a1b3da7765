"""Many documents (issue 17): the reference speech and nineteen written ones (bench/batch_corpus.py,
300 to 3,000 characters each) rendered three ways, cold, as a user runs them, each way with a
fresh take cache that its documents share:

    local batch     tts-pipeline render DOCS -o OUT                    one process
    one at a time   tts-pipeline render DOC -o OUT, 20 times           a process each, in turn
    ray             tts-pipeline render DOCS -o OUT --executor ray     a local Ray for the run

and prints spoken characters per second for each, the ratios against the issue's targets, the
peak memory of the batch against a single render's, the CPU model and the load. Memory is the
whole process tree's (the command, its synthesis workers, ffmpeg; Ray's processes too): the
largest sum of their resident memory, sampled every 50 ms (a child between fork and exec counts
nothing: its pages are its parent's); beside it the kernel's own peak of the
largest single process of the tree (wait4's ru_maxrss). The decoded audio of every document is
compared across the three ways.

    uv run python bench/batch.py [--wait-quiet SECONDS] [--no-ray] [--quick] [--pairs N]

The local batch and Ray run in turn, ``--pairs`` times each (default once), and Ray's figure is
its time against the local batch's just before it, pair by pair, and their median: a machine
whose speed drifts during the run (shared with other work) moves both of a pair alike.

≈ 15 minutes on 2 cores, and 9 minutes more for each further pair; --quick (the nineteen written
speeches at 300 characters each, the reference as it is: about 8,700 characters) ≈ 7 minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from batch_corpus import write_corpus
from common import REFERENCE, ROOT, load_average, wait_for_quiet

TARGET_BATCH_SPEEDUP = 1.1  # local batch ≥ 1.1 × the characters per second of one at a time
TARGET_RAY_WITHIN = 0.15  # Ray within 15 % of the local batch
TARGET_MEMORY_RATIO = 1.3  # the batch's peak memory ≤ 1.3 × a single render's
COMMAND = [sys.executable, "-m", "tts_pipeline"]


@dataclass(frozen=True)
class Run:
    wall_seconds: float
    cpu_seconds: float  # the whole tree (every process the command waited for)
    tree_peak_mb: float  # largest sum of the tree's resident memory
    largest_process_mb: float  # the kernel's peak of the largest single process


def run(args: list[str], cache: Path) -> Run:
    """One command, its wall time, CPU time and memory."""
    env = {**os.environ, "TTS_PIPELINE_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*COMMAND, *args], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    sampler = TreeMemory(process.pid)
    sampler.start()
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{stderr.decode()}")
    return Run(wall, usage.ru_utime + usage.ru_stime, sampler.peak_mb, usage.ru_maxrss / 1024)


class TreeMemory:
    """The largest sum of the resident memory of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            total = sum(_own_rss_kb(pid) for pid in _tree(self.pid))
            self.peak_mb = max(self.peak_mb, total / 1024)


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo += [int(p) for p in task.read_text().split()]
            except (OSError, ValueError):
                continue
    return found


def _own_rss_kb(pid: int) -> int:
    """A process's resident memory, or 0 for a child between fork and exec: it still runs its
    parent's program in its parent's pages (vfork shares them, fork copies them only when they
    are written), so counting them would count the parent twice. Such a child has its parent's
    command line; one that execs between the reads below changes its command line."""
    try:
        before = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
        after = Path(f"/proc/{pid}/cmdline").read_bytes()
        parent = next(ln for ln in status.splitlines() if ln.startswith("PPid:")).split()[1]
        if before != after or after == Path(f"/proc/{parent}/cmdline").read_bytes():
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, StopIteration):
        pass
    return 0


def characters(report: Path) -> int:
    data = json.loads(report.read_text("utf-8"))
    assert data["counts"]["done"] == data["counts"]["total"], data["counts"]
    return sum(d["characters"] for d in data["documents"])


def audio_digests(folder: Path) -> dict[str, str]:
    """Each M4B's decoded samples, as a digest."""
    from tts_pipeline.ffmpeg import ffmpeg_exe

    digests = {}
    for path in sorted(folder.glob("*.m4b")):
        pcm = subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-"],
            capture_output=True, check=True, stdin=subprocess.DEVNULL,
        ).stdout  # fmt: skip
        digests[path.name] = hashlib.sha256(pcm).hexdigest()
    return digests


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def show(name: str, figures: Run, chars: int) -> None:
    print(
        f"{name:<14} {figures.wall_seconds:7.1f} s  {chars / figures.wall_seconds:6.1f} chars/s  "
        f"CPU {figures.cpu_seconds:7.1f} s  tree peak {figures.tree_peak_mb:6.0f} MB  "
        f"largest process {figures.largest_process_mb:5.0f} MB   (load {load_average()})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--no-ray", action="store_true", help="leave Ray out")
    parser.add_argument(
        "--quick", action="store_true", help="the written speeches at 300 characters each"
    )
    parser.add_argument(
        "--pairs", type=int, default=1, metavar="N",
        help="local batch and Ray N times each, in turn (the ratio is taken pair by pair)",
    )  # fmt: skip
    args = parser.parse_args()
    wait_for_quiet(timeout=args.wait_quiet)
    print(f"{cpu_model()}, {os.cpu_count()} cores; load before: {load_average()}", flush=True)
    locals_: list[Run] = []
    rays: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="tts-bench-batch-") as scratch:
        root = Path(scratch)
        docs = root / "docs"
        documents = [*write_corpus(docs, shortest=args.quick), docs / "00-reference.txt"]
        (docs / "00-reference.txt").write_bytes(REFERENCE.read_bytes())
        print(f"{len(documents)} documents in {docs}", flush=True)

        def batch(way: str, number: int) -> Run:
            out, takes = root / f"{way}-{number}", root / f"takes-{way}-{number}"
            executor = ["--executor", "ray"] if way == "ray" else []
            figures = run(["render", str(docs), "-o", str(out), *executor], takes)
            shutil.rmtree(takes)  # (the disk of a long run)
            return figures

        chars = 0
        for number in range(max(1, args.pairs)):
            locals_.append(batch("local", number))
            chars = characters(root / f"local-{number}" / "batch.json")
            show("local batch", locals_[-1], chars)
            if not args.no_ray:
                rays.append(batch("ray", number))
                assert characters(root / f"ray-{number}" / "batch.json") == chars
                show("ray", rays[-1], chars)

        singles = [
            run(["render", str(path), "-o", str(root / "single")], root / "takes-single")
            for path in sorted(documents)
        ]
        single = Run(
            sum(r.wall_seconds for r in singles),
            sum(r.cpu_seconds for r in singles),
            max(r.tree_peak_mb for r in singles),
            max(r.largest_process_mb for r in singles),
        )
        show("one at a time", single, chars)

        reference = audio_digests(root / "single")
        ways = [f"local-{n}" for n in range(len(locals_))] + [f"ray-{n}" for n in range(len(rays))]
        same = all(audio_digests(root / way) == reference for way in ways)
        print(f"identical audio from every way and run: {'yes' if same else 'NO'}")

    local = Run(
        statistics.median(r.wall_seconds for r in locals_),
        statistics.median(r.cpu_seconds for r in locals_),
        max(r.tree_peak_mb for r in locals_),
        max(r.largest_process_mb for r in locals_),
    )
    print(f"\n{chars} spoken characters in {len(documents)} documents; {cpu_model()}")
    speedup = single.wall_seconds / local.wall_seconds
    met = speedup >= TARGET_BATCH_SPEEDUP
    print(
        f"local batch (median of {len(locals_)}) vs one at a time: {speedup:.2f}× the characters "
        f"per second (target ≥ {TARGET_BATCH_SPEEDUP}×: {'met' if met else 'MISSED'})"
    )
    if rays:
        gaps = [r.wall_seconds / b.wall_seconds - 1 for r, b in zip(rays, locals_, strict=True)]
        gap = statistics.median(gaps)
        met = gap <= TARGET_RAY_WITHIN
        print(
            f"ray vs local batch, pair by pair: {', '.join(f'{100 * g:+.1f} %' for g in gaps)} "
            f"time; median {100 * gap:+.1f} % ({1 / (1 + gap):.2f}× the characters per second; "
            f"target within {100 * TARGET_RAY_WITHIN:.0f} %: {'met' if met else 'MISSED'})"
        )
    ratio = local.tree_peak_mb / single.tree_peak_mb
    print(
        f"peak memory, batch vs the largest single render: {local.tree_peak_mb:.0f} vs "
        f"{single.tree_peak_mb:.0f} MB = {ratio:.2f}× (target ≤ {TARGET_MEMORY_RATIO}×: "
        f"{'met' if ratio <= TARGET_MEMORY_RATIO else 'MISSED'}); largest single process "
        f"{local.largest_process_mb:.0f} vs {single.largest_process_mb:.0f} MB"
    )
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
