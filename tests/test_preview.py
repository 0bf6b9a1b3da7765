"""`tts-pipeline preview` writes a short, playable sample; and the offline voice's rate setting
means what it means on every engine (measured on rendered audio)."""

from __future__ import annotations

import json
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.cli_tools import cli
from tests.fake_edge import FakeEdgeService
from tts_pipeline.engines.edge.endpoint import ENV_VAR
from tts_pipeline.engines.local_zh.engine import LocalZhEngine
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.preview import builtin_sentence
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.voices import apply_overrides, load_profile

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def decode(path: Path) -> np.ndarray:
    """The file decoded by ffmpeg (from imageio-ffmpeg) to 16-bit mono samples."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2")


def printed(stdout: str, key: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.startswith(f"{key}: ")]
    return line.split(": ", 1)[1]


@needs_espeak
def test_preview_writes_a_playable_file_in_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    code, stdout, stderr = cli("preview", "--voice", "espeak-en")

    assert code == 0, stderr
    path = Path(printed(stdout, "preview"))
    assert path == Path("output") / "preview-espeak-en.wav"
    samples = decode(path)
    duration = float(printed(stdout, "duration").removesuffix(" s"))
    assert duration == pytest.approx(len(samples) / 24_000, abs=0.06)
    assert 2.0 < duration < 10.0
    assert np.abs(samples).max() > 3000  # speech, not silence
    assert builtin_sentence("en-US") in stderr  # says what it spoke
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["preview-espeak-en.wav"]


def test_preview_of_an_edge_voice_speaks_the_first_paragraph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "talk.txt"
    source.write_text("讲话标题\n\n大家好，今天开会。\n\n第一，认真学习。\n", encoding="utf-8")
    with FakeEdgeService(latency=0.0, speed=0.0) as fake:
        monkeypatch.setenv(ENV_VAR, fake.url)
        code, stdout, stderr = cli(
            "preview", "--voice", "yunyang", "--input", str(source), "-o", str(tmp_path / "o")
        )
        spoken = [r.text for r in fake.requests]

    assert code == 0, stderr
    assert spoken[-1] == "大家好，今天开会。"  # after the preflight's probe
    path = Path(printed(stdout, "preview"))
    assert path == tmp_path / "o" / "preview-yunyang.wav"
    assert len(decode(path)) > 0.5 * 24_000


def test_play_uses_a_player_on_path_or_says_there_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "played.txt"
    player = bin_dir / "aplay"
    player.write_text(f'#!/bin/sh\necho "$@" > "{log}"\n')
    player.chmod(player.stat().st_mode | stat.S_IXUSR)
    with FakeEdgeService(latency=0.0, speed=0.0) as fake:
        monkeypatch.setenv(ENV_VAR, fake.url)
        monkeypatch.setenv("PATH", str(bin_dir))
        code, stdout, stderr = cli("preview", "你好。", "--voice", "yunyang", "-o", str(tmp_path))
        assert code == 0, stderr
        assert not log.exists()  # not without --play

        code, stdout, stderr = cli(
            "preview", "你好。", "--voice", "yunyang", "-o", str(tmp_path), "--play"
        )
        assert code == 0, stderr
        assert log.read_text().split() == ["-q", printed(stdout, "preview")]

        player.unlink()
        code, stdout, stderr = cli(
            "preview", "你好。", "--voice", "yunyang", "-o", str(tmp_path), "--play"
        )
    assert code == 0
    assert "no audio player found (looked for afplay, paplay, aplay, ffplay, mpv)" in stderr


def test_offline_rate_plus_50_makes_speech_a_third_shorter(tmp_path: Path) -> None:
    source = tmp_path / "talk.txt"
    source.write_text("会议讲话\n\n今天，我们在这里隆重庆祝第三十六个教师节。\n", encoding="utf-8")
    engine = LocalZhEngine()  # one model load for both renders
    voiced: dict[str, float] = {}
    for rate in ("+0%", "+50%"):
        voice = apply_overrides(load_profile("xiaomei"), rate=rate)
        out = tmp_path / rate
        settings = RenderSettings(voice=voice, output_dir=out, jobs=1, formats=("wav",))
        render(source, settings, store=MemoryStore(), engine=engine)
        manifest = json.loads((out / "talk.manifest.json").read_text("utf-8"))
        assert manifest["voice"]["rate"] == rate
        voiced[rate] = sum(u["voice_end"] - u["voice_start"] for u in manifest["utterances"])

    ratio = voiced["+50%"] / voiced["+0%"]
    print(f"offline voice, rate +50% vs +0%: {ratio:.3f} of the speech duration")
    assert 0.58 < ratio < 0.76  # 1 / 1.5 = 0.667: about a third shorter


# The offline voice's preview runs LiteRT in this process. Each Interpreter's __del__ is made
# slow here (and says when it starts), which widens a real window: a Ctrl-C that arrives while a
# LiteRT Interpreter is being collected printed "Exception ignored in: Interpreter.__del__ …
# KeyboardInterrupt" (and the interrupt was lost). Interpreters must never be collected while
# the command runs, and a Ctrl-C while the finished command exits must print nothing.
SLOW_DEL = """
import os, sys, time
from ai_edge_litert.interpreter import Interpreter
original, marker_path = Interpreter.__del__, sys.argv[1]
def slow_del(self, open=open, sleep=time.sleep):  # (builtins are gone late in the exit)
    with open(marker_path, "a") as marker:
        marker.write("del\\n")
    sleep(1.0)
    original(self)
Interpreter.__del__ = slow_del
sys.argv = ["tts-pipeline", *sys.argv[2:]]
from tts_pipeline.cli.app import main
main()
"""


def test_ctrl_c_while_a_litert_interpreter_is_collected_prints_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "collecting"
    args = ["preview", "你好。", "--voice", "xiaomei", "-o", str(tmp_path / "out")]
    with (tmp_path / "stderr.log").open("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", SLOW_DEL, str(marker), *args],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        log.seek(0)
        stderr = log.read()
    assert "Exception ignored" not in stderr and "Traceback" not in stderr, stderr
    assert code == 0, stderr  # the preview was finished: it is kept
    assert (tmp_path / "out" / "preview-xiaomei.wav").is_file()
