"""The public Python API: what ``tts_pipeline`` offers, the README's example run as written, and
``tts-pipeline --version``."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import tts_pipeline
from tests.audio_tools import decode
from tests.cli_tools import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_api_is_what_all_says() -> None:
    assert set(tts_pipeline.__all__) == {
        "PipelineError", "Plan", "RenderResult", "RenderSettings", "VoiceProfile", "__version__",
        "plan", "render",
    }  # fmt: skip
    assert inspect.isfunction(tts_pipeline.render) and inspect.isfunction(tts_pipeline.plan)
    assert tts_pipeline.__version__ == metadata.version("tts-pipeline")


def readme_example() -> str:
    section = README.read_text("utf-8").split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one example"
    return blocks[0]


def test_the_readme_example_runs(tmp_path: Path, isolated_cache: Path) -> None:
    """As a user runs it: a fresh interpreter, in a folder of its own, the default (offline)
    voice."""
    env = {**os.environ, "TTS_PIPELINE_CACHE_DIR": str(isolated_cache)}
    result = subprocess.run(
        [sys.executable, "-c", readme_example()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "c01-title 欢迎辞",
        "c01-p001 各位来宾，大家好！今天是二零二四年九月十日，第四十个教师节。",
    ]
    out = tmp_path / "output"
    names = {"welcome.mp3", "welcome.wav", "welcome.manifest.json", "welcome.html"}
    assert names <= {p.name for p in out.iterdir()}
    seconds = len(decode(out / "welcome.wav")) / 24_000
    assert 3 < seconds < 15
    assert lines[2].startswith(f"{seconds:.1f} s of audio: welcome.mp3, welcome.wav")


def test_version_names_the_package_the_models_and_the_front_end() -> None:
    code, stdout, _ = cli("--version")
    assert code == 0
    lines = dict(line.split(": ", 1) for line in stdout.splitlines()[1:])
    assert stdout.splitlines()[0] == f"tts-pipeline {metadata.version('tts-pipeline')}"
    assert re.fullmatch(
        r"local-zh v\d+; models sha256:[0-9a-f]{16}; zh-frontend-\S+ \(pypinyin-\S+,jieba-\S+\)",
        lines["local-zh"],
    )
    assert lines["edge"] == f"edge-tts {metadata.version('edge-tts')}"
    assert lines["espeak"].startswith(("espeak v", "unavailable"))
