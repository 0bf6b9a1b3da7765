from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from tests.cli_tools import cli
from tts_pipeline.audio.loudness.measurements import MeasurementStore
from tts_pipeline.audio.loudness.meter import TakeLoudness, measure_take
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.outputs import programme as production_module
from tts_pipeline.outputs.programme import Production, ProgrammeOptions
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.synthesis.cache import (
    CACHE_ENV,
    TakeCache,
    decode_take,
    default_cache_dir,
    encode_take,
)
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import build_plan


def make_take(seed: int = 0, n: int = 24_000) -> Take:
    rng = np.random.default_rng(seed)
    samples = rng.uniform(-0.5, 0.5, n).astype(np.float32)
    return Take(samples, 24_000, "local-zh", "baker", (Boundary("你好。", 0.1, 0.9),))


def test_round_trip(tmp_path: Path) -> None:
    cache = TakeCache(tmp_path)
    take = make_take()
    cache.put("ab" * 32, take)
    got = cache.get("ab" * 32)
    assert got is not None
    assert np.array_equal(got.samples, take.samples)
    assert (got.sample_rate, got.engine, got.voice, got.boundaries) == (
        24_000,
        "local-zh",
        "baker",
        take.boundaries,
    )
    assert cache.get("cd" * 32) is None
    assert list(tmp_path.rglob("*.part")) == []


def test_env_var_sets_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache opened without a location (as render and `cache info` open it) keeps its takes
    where $TTS_PIPELINE_CACHE_DIR says; without it, in the user's cache folder."""
    chosen = tmp_path / "elsewhere"
    monkeypatch.setenv(CACHE_ENV, str(chosen))
    TakeCache().put("ab" * 32, make_take())
    assert sorted(p.relative_to(chosen) for p in chosen.rglob("*.take")) == [
        Path("ab") / f"{'ab' * 32}.take"
    ]
    code, out, _ = cli("cache", "info")
    assert code == 0
    assert f"location: {chosen}\n" in out
    assert "entries:  1\n" in out
    monkeypatch.delenv(CACHE_ENV)
    user_cache = Path(platformdirs.user_cache_dir("tts-pipeline"))
    assert TakeCache().root == default_cache_dir() == user_cache / "takes"


def test_truncated_or_corrupt_entries_are_discarded(tmp_path: Path) -> None:
    cache = TakeCache(tmp_path)
    for i, damage in enumerate(("truncate", "flip", "magic", "header")):
        key = f"{i:02d}" * 32
        cache.put(key, make_take(i))
        path = cache.path(key)
        data = bytearray(path.read_bytes())
        if damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "flip":
            data[-100] ^= 0xFF
        elif damage == "magic":
            data[:4] = b"XXXX"
        else:
            data[12:20] = b"\xff" * 8
        path.write_bytes(bytes(data))
        assert cache.get(key) is None
        assert not path.exists()  # removed, so the next render re-synthesizes it
    assert cache.discarded == 4


def test_decode_never_raises_on_garbage() -> None:
    rng = np.random.default_rng(1)
    good = encode_take(make_take(2, 100))
    for size in range(0, len(good), 7):
        assert decode_take(good[:size]) is None
    for _ in range(50):
        assert decode_take(rng.bytes(int(rng.integers(0, 500)))) is None


def test_info_and_clear(tmp_path: Path) -> None:
    cache = TakeCache(tmp_path / "c")
    assert cache.info().entries == 0
    for i in range(3):
        cache.put(f"{i:02x}" + "0" * 62, make_take(i, 1000))
    info = cache.info()
    assert info.entries == 3 and info.bytes > 3 * 4000
    assert cache.clear() == 3
    assert cache.info().entries == 0


def _writer(root: str, seed: int) -> None:
    cache = TakeCache(Path(root))
    for _ in range(20):
        cache.put("ee" * 32, make_take(seed, 48_000))


def test_concurrent_writers_never_leave_a_torn_take(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s)) for s in (1, 2)]
    for p in procs:
        p.start()
    cache = TakeCache(tmp_path)
    seen = 0
    while any(p.is_alive() for p in procs):
        take = cache.get("ee" * 32)
        if take is not None:
            seen += 1
            assert len(take.samples) == 48_000
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert cache.get("ee" * 32) is not None
    assert cache.discarded == 0


def _measured_take(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 24_000)) / 24_000
    return (0.3 * np.sin(2 * np.pi * 220 * t) * rng.uniform(0.5, 1.0)).astype(np.float32)


def test_measurements_round_trip_exactly_and_bad_entries_are_ignored(tmp_path: Path) -> None:
    cache = TakeCache(tmp_path)
    store = MeasurementStore(cache.measurements_dir)
    measured = measure_take(_measured_take(), 24_000)
    assert store.get("ab" * 32) is None
    store.put("ab" * 32, measured)
    back = store.get("ab" * 32)
    assert back is not None
    assert back.own == measured.own and back.peak == measured.peak
    assert back.seconds == measured.seconds
    assert np.array_equal(back.blocks, measured.blocks)
    silent = measure_take(np.zeros(24_000, dtype=np.float32), 24_000)
    store.put("cd" * 32, silent)
    back = store.get("cd" * 32)
    assert back is not None and back.own == -np.inf
    # Garbage, a truncated file or another analysis version: measured again, never an error.
    store.path("ab" * 32).write_text('{"version": 1, "own": ', encoding="utf-8")
    assert store.get("ab" * 32) is None
    store.put("ab" * 32, measured)
    text = store.path("ab" * 32).read_text(encoding="utf-8")
    store.path("ab" * 32).write_text(text.replace('"version": 1', '"version": 0'), "utf-8")
    assert store.get("ab" * 32) is None
    cache.clear()
    assert not store.root.exists()


def _productions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paragraphs: int
) -> tuple[Callable[[str], bytes], list[int], MeasurementStore]:
    """Make the programme (WAV bytes) of a plan of synthetic takes with one measurement store,
    as often as asked: (make it, the measurements the last one made, the store)."""
    plan = build_plan(
        parse("Title\n\n" + "\n\n".join(f"Paragraph {n}." for n in range(paragraphs)))
    )
    takes = [
        Take(_measured_take(1.0 + 0.5 * i, seed=i), 24_000, "synthetic", "tone")
        for i in range(len(plan.utterances))
    ]
    calls: list[int] = []
    monkeypatch.setattr(
        production_module,
        "measure_take",
        lambda samples, rate: calls.append(1) or measure_take(samples, rate),
    )
    memo = MeasurementStore(TakeCache(tmp_path / "cache").measurements_dir)

    def programme(run: str) -> bytes:
        calls.clear()
        targets = {"wav": tmp_path / run / "p.wav"}
        production = Production(
            plan, takes.__getitem__, targets, Tags("T"), ProgrammeOptions(), memo=memo
        )
        production.start().result()
        return (tmp_path / run / "p.wav").read_bytes()

    return programme, calls, memo


def test_a_second_production_measures_nothing_and_writes_the_same_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    programme, calls, _ = _productions(tmp_path, monkeypatch, 2)
    cold = programme("cold")
    assert len(calls) == 3
    assert programme("warm") == cold and calls == []


def _flip_a_digit(text: str, field: str) -> str:
    """``text`` with one digit of ``field``'s number changed, as a bad disk sector might."""
    match = re.search(rf'"{field}": -?\d+\.(\d)', text)
    assert match, text[:200]
    digit = match.group(1)
    return text[: match.start(1)] + str((int(digit) + 5) % 10) + text[match.end(1) :]


def test_damaged_measurements_are_measured_again_and_the_audio_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loudness measurements kept between renders get the integrity of takes: a file damaged
    # the way a disk or a user would damage it is measured again, and the programme is the same.
    programme, calls, memo = _productions(tmp_path, monkeypatch, 6)
    first = programme("first")
    files = sorted(memo.root.glob("*/*.json"))
    assert len(files) == len(calls) == 7

    def stored(path: Path) -> TakeLoudness:
        measured = memo.get(path.stem)
        assert measured is not None
        return measured

    damaged = {
        "one digit of the loudness": lambda p: p.write_text(
            _flip_a_digit(p.read_text("utf-8"), "own"), "utf-8"
        ),
        "one digit of the peak": lambda p: p.write_text(
            _flip_a_digit(p.read_text("utf-8"), "peak"), "utf-8"
        ),
        "an absurd value": lambda p: p.write_text(
            re.sub(r'"own": [^,]+', '"own": 1e300', p.read_text("utf-8")), "utf-8"
        ),
        "a truncated file": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        # Whole, well-formed files whose numbers cannot be this take's (a bug, another tool):
        "wrong block count": lambda p: memo.put(
            p.stem, replace(stored(p), blocks=stored(p).blocks[:-3])
        ),
        "an impossible peak": lambda p: memo.put(p.stem, replace(stored(p), peak=1e-6)),
    }
    for path, damage in zip(files, damaged.values(), strict=False):
        damage(path)
    assert programme("again") == first
    assert len(calls) == len(damaged)  # each damaged file measured again, the good one not
    assert programme("third") == first and calls == []  # and stored whole again


def _stuck_writer(root: str, key: str) -> None:
    """Store a take, but never finish: the take's temporary file stays while this process
    lives (as if it were killed at that moment)."""
    os.fsync = lambda fd: time.sleep(3600)  # type: ignore[assignment]
    TakeCache(Path(root)).put(key, make_take(0, 1000))


def test_sweep_removes_the_parts_of_dead_writers_only(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    cache = TakeCache(tmp_path)
    writers = {k: ctx.Process(target=_stuck_writer, args=(str(tmp_path), k * 32)) for k in "ab"}
    for writer in writers.values():
        writer.start()
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.rglob(".*.part"))) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        parts = {k: next(tmp_path.glob(f"{k * 2}/.*.part")) for k in "ab"}
        os.kill(writers["a"].pid, signal.SIGKILL)  # not reaped yet: a zombie is dead too
        time.sleep(0.2)
        # A process id given to another process since: this one, with another start time.
        reused = tmp_path / "cc" / f".{'c' * 16}.{os.getpid()}-1.abcdefgh.part"
        reused.parent.mkdir()
        reused.write_bytes(b"")
        # Measurements are written the same way, beside the takes.
        (tmp_path / "loudness" / "dd").mkdir(parents=True)
        stale_measurement = tmp_path / "loudness" / "dd" / reused.name
        stale_measurement.write_bytes(b"")
        assert cache.sweep() == 3
        assert not parts["a"].exists() and not reused.exists() and not stale_measurement.exists()
        assert parts["b"].exists()  # its writer is alive
        assert cache.sweep() == 0
    finally:
        for writer in writers.values():
            writer.kill()
            writer.join()
    assert cache.sweep() == 1 and list(tmp_path.rglob(".*.part")) == []
