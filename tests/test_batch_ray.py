"""Batch rendering on Ray (issue 17; the ray extra): the files are those of the local executor,
to the sample; an actor's process killed while it synthesizes is survived with the same files;
the command line starts and stops a local Ray quietly. One local Ray (two CPUs) serves the module's
tests that need one (Ray takes seconds to start)."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.audio_tools import decode
from tests.cli_tools import run_cli
from tests.extras import require_ray
from tests.test_batch import LONG, SPEECHES, write
from tts_pipeline.batch.run import render_batch
from tts_pipeline.outputs.batch_report import BatchReport, Outcome
from tts_pipeline.render import RenderSettings

DOCUMENTS = {"a.txt": SPEECHES["2024/speech.txt"], "b.txt": LONG}
# The titles Ray gives an actor's process while it works
SYNTHESIZER_AT_WORK = b"ray::TakeSynthesizer.synthesize"
PRODUCER_AT_WORK = b"ray::DocumentProducer.produce"


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("documents")
    write(folder, dict(DOCUMENTS))
    return folder


@pytest.fixture(scope="module")
def local_files(documents: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents rendered by the local executor (its own take cache)."""
    require_ray()  # (no local render for nothing)
    root = tmp_path_factory.mktemp("local")
    settings = RenderSettings(output_dir=root / "out", cache_dir=root / "takes", jobs=2)
    report = render_batch([documents], settings)
    assert [d.outcome for d in report.documents] == [Outcome.DONE] * len(DOCUMENTS)
    return root / "out"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A local Ray with two CPUs for the module's tests (started by the executor's own code)."""
    require_ray()
    from tts_pipeline.batch.on_ray import connect, import_ray

    ray = import_ray()
    assert connect(ray, None, 2)  # as the command does: the executor then joins this one
    yield ray
    ray.shutdown()


def same_files(ray_out: Path, local_out: Path) -> None:
    """The decoded audio, the manifests and the subtitles of both runs are identical."""
    for name in DOCUMENTS:
        stem = Path(name).stem
        assert np.array_equal(decode(ray_out / f"{stem}.m4b"), decode(local_out / f"{stem}.m4b"))
        for suffix in (".manifest.json", ".srt"):
            ours, theirs = ray_out / f"{stem}{suffix}", local_out / f"{stem}{suffix}"
            assert ours.read_text("utf-8") == theirs.read_text("utf-8"), suffix


def test_the_command_line_starts_a_quiet_local_ray(documents: Path, tmp_path: Path) -> None:
    require_ray()
    result = run_cli(
        "render", documents / "a.txt", "-o", tmp_path / "out", "--executor", "ray", "--jobs", "2",
        env={**os.environ, "TTS_PIPELINE_CACHE_DIR": str(tmp_path / "takes")},
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "batch.json").read_text("utf-8"))
    assert report["executor"] == "ray"
    assert report["counts"] == {"total": 1, "done": 1, "failed": 0, "skipped": 0}
    # What the user sees is ours: the batch's line, the summary; nothing of Ray's logging.
    noise = [
        line
        for line in result.stderr.splitlines()
        if any(word in line for word in ("INFO", "WARNING", "Ray", "ray::", "raylet", "(pid="))
    ]
    assert noise == [], result.stderr


def test_ray_renders_what_the_local_executor_renders(
    cluster: Any, documents: Path, local_files: Path, tmp_path: Path, isolated_cache: Path
) -> None:
    settings = RenderSettings(output_dir=tmp_path / "out")
    report = render_batch([documents], settings, executor="ray")
    assert report.executor == "ray"
    assert [d.outcome for d in report.documents] == [Outcome.DONE] * 2
    assert all(d.synthesized > 0 for d in report.documents)
    same_files(tmp_path / "out", local_files)
    # The driver kept the takes: a second run is up to date, a forced one synthesizes nothing.
    assert len(list(isolated_cache.glob("*/*.take"))) > 0
    forced = render_batch([documents], settings, executor="ray", force=True)
    assert [d.synthesized for d in forced.documents] == [0, 0]
    again = render_batch([documents], settings, executor="ray")
    assert [d.outcome for d in again.documents] == [Outcome.SKIPPED] * 2


def actors_at_work(title: bytes, encoding: bool) -> list[int]:
    """The processes of actors at work now, by the title Ray gives them; ``encoding``: only
    those that have an encoder (a child process) running."""
    titles, parents = {}, set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                titles[int(entry.name)] = (entry / "cmdline").read_bytes()
                parents.add(int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]))
            except (OSError, ValueError, IndexError):
                continue
    return [
        pid
        for pid, cmdline in titles.items()
        if cmdline.startswith(title) and (not encoding or pid in parents)
    ]


@pytest.mark.parametrize(
    ("title", "encoding"),
    [(SYNTHESIZER_AT_WORK, False), (PRODUCER_AT_WORK, True)],
    ids=["synthesizer", "producer while it encodes"],
)
def test_an_actor_killed_at_work_is_survived(
    cluster: Any, documents: Path, local_files: Path, tmp_path: Path, title: bytes, encoding: bool
) -> None:
    settings = RenderSettings(output_dir=tmp_path / "out")
    reports: list[BatchReport] = []
    errors: list[BaseException] = []

    def batch() -> None:
        try:
            reports.append(render_batch([documents], settings, executor="ray"))
        except BaseException as exc:  # noqa: BLE001 - the test's thread reports it
            errors.append(exc)

    runner = threading.Thread(target=batch)
    runner.start()
    victim = None
    deadline = time.monotonic() + 300
    while victim is None and runner.is_alive() and time.monotonic() < deadline:
        working = actors_at_work(title, encoding)
        if working:
            victim = working[0]
            os.kill(victim, signal.SIGKILL)
        else:
            time.sleep(0.02)
    runner.join(900)
    assert victim is not None, f"no {title.decode()} was seen"
    assert not errors, errors
    assert [d.outcome for d in reports[0].documents] == [Outcome.DONE] * 2
    assert (
        not Path(f"/proc/{victim}").exists()
        or b"ray::" not in Path(f"/proc/{victim}/cmdline").read_bytes()
    )
    same_files(tmp_path / "out", local_files)
    # And nothing else: no part of a file the killed actor was writing, no scratch folder of it
    assert _names(tmp_path / "out") == _names(local_files)
    assert not list(Path(tempfile.gettempdir()).glob(f"tts-pipeline-{victim}-*"))


def _names(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))
