"""Rendering with an edge-tts voice against the fake service (tests/fake_edge.py): a clean render
of the reference speech, every fault either recovered (same audio as a clean run) or stopped
cleanly and resumed, the offline fallback, and the no-network failure. No real network."""

from __future__ import annotations

import json
import os
import socket
import time
import wave
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from tests.cli_tools import cli, run_cli
from tests.fake_edge import PROXY_VARS, FakeEdgeService, Fault, clear_proxies
from tts_pipeline.engines.edge import engine as edge_module
from tts_pipeline.engines.edge.endpoint import ENV_VAR
from tts_pipeline.engines.edge.engine import EdgeEngine, EdgeOptions
from tts_pipeline.engines.edge.retry import RetryPolicy
from tts_pipeline.engines.registry import default_jobs
from tts_pipeline.render import RenderResult, RenderSettings, render
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.store import MemoryStore, TakeStore
from tts_pipeline.voices import fallback_profile, load_profile

# Tiny backoffs and timeouts: every fault costs milliseconds (a stall: the 2 s idle timeout).
FAST = EdgeOptions(
    retry=RetryPolicy(attempts=4, base=0.01, factor=2.0, cap=0.05),
    idle_timeout=2.0,
    cancel_grace=0.5,
    preflight_timeout=3.0,
)

SPEECH = """全校教师大会讲话

各位老师：大家好！

第一，提高认识。我们要认真学习。

第二，狠抓落实。每一项工作都要有人负责。

总之，让我们共同努力！
"""
UTTERANCES = 5  # the title and four paragraphs


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    path = tmp_path / "talk.txt"
    path.write_text(SPEECH, encoding="utf-8")
    return path


@pytest.fixture
def fast_cli(monkeypatch: pytest.MonkeyPatch, fake: FakeEdgeService) -> FakeEdgeService:
    """The CLI in this process, talking to the fake with FAST timeouts."""
    monkeypatch.setenv(ENV_VAR, fake.url)
    monkeypatch.setattr(edge_module, "EdgeOptions", lambda: FAST)
    return fake


def render_edge(
    source: Path,
    out: Path,
    service: FakeEdgeService,
    store: TakeStore | None = None,
    jobs: int | None = 2,
    **settings: object,
) -> RenderResult:
    config = RenderSettings(
        voice=load_profile("yunyang"),
        output_dir=out,
        jobs=jobs,
        formats=("wav",),
        subtitles=False,
        **settings,  # type: ignore[arg-type]
    )
    engine = EdgeEngine(endpoint=service.url, options=FAST)
    return render(source, config, store=store or MemoryStore(), engine=engine)


def pcm(path: Path) -> bytes:
    with wave.open(str(path)) as audio:
        return audio.readframes(audio.getnframes())


@pytest.fixture(scope="module")
def clean_pcm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The audio of a clean run (the fake's audio depends on the text only)."""
    root = tmp_path_factory.mktemp("clean")
    source = root / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_proxies(monkeypatch)
        with FakeEdgeService(latency=0.0, speed=0.0) as service:
            result = render_edge(source, root / "out", service)
    assert result.utterances == UTTERANCES and result.synthesized == UTTERANCES
    return pcm(root / "out" / "talk.wav")


# --------------------------------------------------------------------------- clean runs


def test_reference_speech_renders_to_a_chaptered_m4b(
    fake: FakeEdgeService, sample_path: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k.upper() not in PROXY_VARS}
    env[ENV_VAR] = fake.url
    out = tmp_path / "out"
    result = run_cli(
        "render", sample_path, "-o", out, "--voice", "yunyang", "--cache-dir", tmp_path / "cache",
        env=env,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    chapters = [c.title for c in MP4(out / "speech_zh.m4b").chapters]
    assert len(chapters) == 7 and chapters[0] == "开场白" and chapters[-1] == "结束语"
    manifest = json.loads((out / "speech_zh.manifest.json").read_text("utf-8"))
    assert manifest["engine"] == "edge" and manifest["voice"]["name"] == "yunyang"
    assert {(u["engine"], u["voice"]) for u in manifest["utterances"]} == {
        ("edge", "zh-CN-YunyangNeural")
    }
    assert "fallback" not in manifest
    assert {r.voice for r in fake.requests} == {"zh-CN-YunyangNeural"}


def test_voice_short_name_and_default_jobs(
    fake: FakeEdgeService, speech: Path, tmp_path: Path, clean_pcm: bytes
) -> None:
    profile = load_profile("zh-CN-YunyangNeural")  # no preset needed
    settings = RenderSettings(
        voice=profile, output_dir=tmp_path / "o", formats=("wav",), subtitles=False
    )
    engine = EdgeEngine(endpoint=fake.url, options=FAST)

    result = render(speech, settings, store=MemoryStore(), engine=engine)

    assert (profile.engine, profile.voice, profile.language) == ("edge", profile.name, "zh-CN")
    assert result.jobs == default_jobs("edge") == 4
    # Same voice, same default settings as the yunyang preset: same audio, in document order.
    assert pcm(tmp_path / "o" / "talk.wav") == clean_pcm


# --------------------------------------------------------------------------- faults

RECOVERABLE = {
    "added latency": {"faults": [Fault("latency", text="第一", seconds=0.5)]},
    "403 with a skewed Date header": {"clock_offset": 3600.0},
    "403 twice in a row": {"faults": [Fault("forbidden", requests=frozenset({2, 3}))]},
    "503 on the handshake": {"faults": [Fault("unavailable", requests=frozenset({2, 3}))]},
    "close mid-stream": {"faults": [Fault("close", text="第二", times=2, at=0.5)]},
    "connection dropped mid-stream": {"faults": [Fault("drop", text="第一", at=0.4)]},
    "turn.end with no audio": {"faults": [Fault("no_audio", text="第二", times=2)]},
    "stall past the receive timeout": {"faults": [Fault("stall", text="总之", at=0.3)]},
}


@pytest.mark.parametrize("setup", RECOVERABLE.values(), ids=RECOVERABLE.keys())
def test_render_recovers_from_fault_with_the_same_audio(
    setup: dict, speech: Path, tmp_path: Path, clean_pcm: bytes
) -> None:
    with FakeEdgeService(latency=0.0, speed=0.0, **setup) as service:
        result = render_edge(speech, tmp_path / "out", service)
        handshakes = service.handshakes

    assert result.synthesized == UTTERANCES
    assert pcm(tmp_path / "out" / "talk.wav") == clean_pcm
    for fault in setup.get("faults", []):
        assert fault.used >= 1  # it did happen
    if "clock_offset" in setup:
        assert any(h.reason == "clock skew" for h in handshakes)


def test_service_going_down_stops_cleanly_and_the_same_command_resumes(
    fast_cli: FakeEdgeService, speech: Path, tmp_path: Path, clean_pcm: bytes
) -> None:
    # Connection 1 is the preflight, 2 and 3 the first two utterances; then the service is down.
    fast_cli.add_fault(Fault("unavailable", requests=frozenset(range(4, 10_000)), times=None))
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = ["render", str(speech), "--voice", "yunyang", "-o", str(out), "--cache-dir", str(cache)]
    args += ["--jobs", "1", "--format", "wav"]

    code, _, stderr = cli(*args)

    assert code == 4
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith("error: edge-tts failed 3 utterances in a row, stopped")
    assert "HTTP 503" in lines[-1]
    assert f"2 of {UTTERANCES} utterances finished and are kept" in lines[-1]
    assert lines[-1].endswith("rerun the same command to resume")
    assert "Traceback" not in stderr
    assert TakeCache(cache).info().entries == 2  # every finished take was kept
    assert not out.exists() or not any(out.iterdir())  # nothing half-written

    fast_cli.faults.clear()  # the service is back
    code, stdout, stderr = cli(*args)

    assert code == 0, stderr
    assert f"({UTTERANCES - 2} synthesized, 2 reused)" in stderr
    assert pcm(out / "talk.wav") == clean_pcm
    assert "wav: " in stdout


def test_fallback_speaks_only_the_failing_utterance_offline(
    fast_cli: FakeEdgeService, tmp_path: Path
) -> None:
    source = tmp_path / "short.txt"
    source.write_text("讲话\n\n大家好。\n\n这一句会被掐断。\n", encoding="utf-8")
    fast_cli.add_fault(Fault("close", text="掐断", times=None, at=0.0))
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = ["render", str(source), "--voice", "yunyang", "-o", str(out), "--cache-dir", str(cache)]
    args += ["--format", "wav", "--fallback", "offline"]

    code, _, stderr = cli(*args)

    assert code == 0, stderr
    assert "fallback: 1 utterance(s) spoken by xiaomei instead of yunyang" in stderr
    assert "c01-p002" in stderr
    manifest = json.loads((out / "short.manifest.json").read_text("utf-8"))
    by_id = {u["id"]: u for u in manifest["utterances"]}
    assert (by_id["c01-p002"]["engine"], by_id["c01-p002"]["voice"]) == ("local-zh", "baker")
    assert by_id["c01-p002"]["fallback"] is True
    assert all(
        by_id[i]["engine"] == "edge" and "fallback" not in by_id[i]
        for i in by_id
        if i != "c01-p002"
    )
    assert manifest["fallback"]["utterances"] == ["c01-p002"]
    assert manifest["fallback"]["voice"]["name"] == "xiaomei"
    assert "could not synthesize 1 utterance" in manifest["fallback"]["reason"]

    fast_cli.faults.clear()  # the service works again: the same command replaces the fallback
    code, _, stderr = cli(*args)

    assert code == 0, stderr
    assert "(1 synthesized, 2 reused)" in stderr and "fallback" not in stderr
    manifest = json.loads((out / "short.manifest.json").read_text("utf-8"))
    assert {u["engine"] for u in manifest["utterances"]} == {"edge"}


def test_fallback_when_the_service_cannot_be_reached(tmp_path: Path) -> None:
    source = tmp_path / "short.txt"
    source.write_text("讲话\n\n谢谢。\n", encoding="utf-8")
    voice = load_profile("yunyang")
    settings = RenderSettings(
        voice=voice,
        output_dir=tmp_path / "out",
        formats=("wav",),
        subtitles=False,
        fallback=fallback_profile("offline", voice),
    )
    engine = EdgeEngine(endpoint=f"ws://127.0.0.1:{closed_port()}/edge/v1", options=FAST)

    result = render(source, settings, store=MemoryStore(), engine=engine)

    assert result.fallback_voice == "xiaomei"
    assert result.fallback_ids == ("c01-title", "c01-p001")
    assert result.fallback_reason and "cannot reach the edge-tts service" in result.fallback_reason
    manifest = json.loads((tmp_path / "out" / "short.manifest.json").read_text("utf-8"))
    assert {u["engine"] for u in manifest["utterances"]} == {"local-zh"}


# --------------------------------------------------------------------------- no network


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_network_fails_fast_with_the_offline_voice_named(
    sample_path: Path, tmp_path: Path
) -> None:
    # No endpoint override: the real service's address. "No network" is a proxy that accepts
    # connections and never answers (what a network dropping packets looks like to the client).
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(64)
        proxy = f"http://127.0.0.1:{black_hole.getsockname()[1]}"
        env = {k: v for k, v in os.environ.items() if k.upper() not in PROXY_VARS}
        env.pop(ENV_VAR, None)
        env.update(WSS_PROXY=proxy, HTTPS_PROXY=proxy)
        out = tmp_path / "out"
        started = time.monotonic()
        result = run_cli(
            "render", sample_path, "--voice", "yunyang", "-o", out, "--cache-dir", tmp_path / "c",
            env=env, timeout=60,
        )  # fmt: skip
        elapsed = time.monotonic() - started

    # The preflight gave up (after 7 s): a render that went on to synthesize would wait the
    # idle timeout (20 s) for each of several attempts first. (Not a timing target: the bound
    # leaves room for a busy machine's start-up.)
    options = EdgeOptions()
    assert elapsed < options.preflight_timeout + options.idle_timeout, elapsed
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot reach the edge-tts service")
    assert "--voice xiaomei" in lines[0]
    assert not out.exists()  # nothing written, not even the folder
    assert not (tmp_path / "c").exists()
