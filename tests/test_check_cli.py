"""`tts-pipeline check` and `render --check` up to the recogniser: the errors a user can meet (a
manifest that is missing, damaged or from another version, audio that does not match it, the
extra not installed: one line, exit 2, nothing written), and the checks made before a render, so
that no render is made for a check that cannot run. The recogniser at work: test_check.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.audio_tools import SR, SyntheticEngine, noise, silence
from tests.cli_tools import cli, run_cli
from tts_pipeline.engines.base import Take
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.voices import load_profile

SPEECH = (
    "学校工作会议\n\n同志们：今天我们召开全校教师大会。\n\n第一，提高教学质量。\n\n谢谢大家！\n"
)


def tone_take(text: str, index: int) -> Take:
    return Take(
        np.concatenate([silence(0.1), noise(0.5, -20, seed=index), silence(0.1)]), SR, "e", "v"
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A render (WAV, synthetic voice): its manifest."""
    root = tmp_path_factory.mktemp("check-cli")
    source = root / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    settings = RenderSettings(
        voice=load_profile(None), output_dir=root / "out", formats=("wav",), use_cache=False
    )
    result = render(source, settings, store=MemoryStore(), engine=SyntheticEngine(tone_take))
    return result.outputs["manifest"]


def damage(data: dict[str, Any], case: str) -> dict[str, Any] | str:
    if case == "not JSON":
        return "{not json"
    if case == "another version":
        return {**data, "format_version": 99}
    if case == "no paragraph":  # a manifest written before utterances had their paragraph
        utterances = [{k: v for k, v in u.items() if k != "paragraph"} for u in data["utterances"]]
        return {**data, "utterances": utterances}
    if case == "a text for a number":
        return {**data, "duration": "long"}
    assert case == "a list for an object"
    return {**data, "voice": []}


@pytest.mark.parametrize(
    "case, message",
    [
        ("not JSON", "cannot read the manifest {path}: it is not JSON"),
        ("another version", "the manifest {path} has format version 99; this tts-pipeline reads"),
        ("no paragraph", "cannot read the manifest {path}: utterances[0] has no paragraph"),
        ("a text for a number", "cannot read the manifest {path}: manifest: duration is not a"),
        ("a list for an object", "cannot read the manifest {path}: manifest: voice is not an"),
    ],
)
def test_a_manifest_check_cannot_read_is_one_line(
    rendered: Path, tmp_path: Path, case: str, message: str
) -> None:
    folder = tmp_path / "render"
    folder.mkdir()
    for path in rendered.parent.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    manifest = folder / rendered.name
    damaged = damage(json.loads(manifest.read_text("utf-8")), case)
    text = damaged if isinstance(damaged, str) else json.dumps(damaged, ensure_ascii=False)
    manifest.write_text(text, encoding="utf-8")
    page_before = (folder / "talk.html").read_bytes()

    code, stdout, stderr = cli("check", str(folder / "talk.wav"), "--page")
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert message.format(path=manifest) in " ".join(stderr.split()), stderr
    assert stdout == ""
    assert not (folder / "talk.check.json").exists()
    assert (folder / "talk.html").read_bytes() == page_before


def test_a_render_with_no_manifest_beside_it(rendered: Path, tmp_path: Path) -> None:
    audio = tmp_path / "talk.wav"
    audio.write_bytes((rendered.parent / "talk.wav").read_bytes())
    code, _stdout, stderr = cli("check", str(audio))
    assert code == 2
    assert "error: no manifest for" in stderr and "talk.manifest.json" in stderr
    code, _stdout, stderr = cli("check", str(tmp_path / "other.m4b"))
    assert code == 2 and "error: nothing to check:" in stderr and "does not exist" in stderr


def test_audio_that_does_not_match_its_manifest(rendered: Path, tmp_path: Path) -> None:
    audio = tmp_path / "talk.wav"
    for path in rendered.parent.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    cut = tmp_path / "cut.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(audio), "-t", "1", str(cut)], check=True)
    cut.replace(audio)
    code, _stdout, stderr = cli("check", str(audio))
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "error: talk.wav does not match its manifest" in lines[0], stderr
    assert "it lasts 1.00 s" in lines[0]
    assert not (tmp_path / "talk.check.json").exists()


def test_check_without_the_extra_says_how_to_install_it(rendered: Path, tmp_path: Path) -> None:
    result = run_cli("check", rendered, env=without_the_extra(tmp_path), timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: proof-listening needs the check extra")
    assert "pip install 'tts-pipeline[check]'" in lines[0] and "uv sync --group quality" in lines[0]
    assert not (rendered.parent / "talk.check.json").exists()


def test_check_page_needs_a_page(tmp_path: Path) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    settings = RenderSettings(
        voice=load_profile(None), output_dir=tmp_path, formats=("wav",), page=False
    )
    render(source, settings, store=MemoryStore(), engine=SyntheticEngine(tone_take))
    code, _stdout, stderr = cli("check", str(tmp_path / "talk.wav"), "--page")
    assert code == 2 and "error: no listening page to mark for talk.wav" in stderr, stderr


def without_the_extra(tmp_path: Path) -> dict[str, str]:
    """An environment where the recogniser cannot be imported, as without the extra (whether
    or not it is installed here)."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "faster_whisper.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'faster_whisper'\")\n", encoding="utf-8"
    )
    return dict(os.environ, PYTHONPATH=str(shadow))


def test_render_check_without_the_extra_fails_before_rendering(tmp_path: Path) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    out = tmp_path / "out"
    env = without_the_extra(tmp_path)
    result = run_cli("render", source, "-o", out, "--check", env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: proof-listening needs the check extra")
    assert "pip install 'tts-pipeline[check]'" in lines[0]
    assert not out.exists()  # nothing rendered for a check that could not run


def test_asr_model_is_for_the_check(tmp_path: Path) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    code, _stdout, stderr = cli("render", str(source), "-o", str(tmp_path), "--asr-model", "small")
    assert code == 2 and "error: --asr-model chooses proof-listening's recogniser" in stderr
    assert list(tmp_path.iterdir()) == [source]
    code, stdout, _stderr = cli("check", "--help")
    assert code == 0 and "--asr-model" in stdout and "--page" in stdout and "Example:" in stdout
