"""The espeak engine: English through the system espeak-ng (installed in CI by .ci/run), the same
meaning of rate/pitch/volume as on the other engines, and a clear message when it is missing."""

from __future__ import annotations

import shutil
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.cli_tools import cli
from tts_pipeline.engines.base import SynthesisRequest, Take
from tts_pipeline.engines.espeak import EspeakEngine, EspeakParams, parse_wav
from tts_pipeline.engines.registry import get_engine
from tts_pipeline.errors import EngineUnavailable, SettingsError
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.voices import load_profile

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)
TEXT = "Good morning, everyone. Thank you all for coming to this meeting today."


def synth(engine: EspeakEngine, text: str = TEXT, jobs: int = 1, **settings: str) -> Take:
    voice = replace(load_profile("espeak-en"), **settings)
    takes = dict(engine.synthesize([SynthesisRequest(7, text)], voice, jobs))
    return takes[7]


def median_pitch(samples: np.ndarray, rate: int) -> float:
    """Median F0 of clearly voiced 40 ms frames (autocorrelation, 50-300 Hz)."""
    size, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = rate // 300, rate // 50
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), size)[::hop]
    frames = frames - frames.mean(axis=1, keepdims=True)
    loud = np.sqrt((frames**2).mean(axis=1)) > 0.5 * np.sqrt((samples.astype(float) ** 2).mean())
    ac = np.fft.irfft(np.abs(np.fft.rfft(frames[loud], 2 * size)) ** 2)[:, :size]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    voiced = ac[np.arange(len(lags)), lags] > 0.7
    return float(np.median(rate / lags[voiced]))


@needs_espeak
def test_speaks_english() -> None:
    engine = get_engine("espeak")
    take = synth(engine)  # type: ignore[arg-type]
    assert (take.engine, take.voice, take.sample_rate) == ("espeak", "en-us", 22050)
    assert take.samples.dtype == np.float32
    assert 2.0 < take.duration < 8.0
    assert float(np.sqrt(np.mean(take.samples**2))) > 0.02  # speech, not silence
    again = synth(EspeakEngine())
    assert np.array_equal(take.samples, again.samples)  # deterministic


@needs_espeak
def test_settings_mean_the_same_as_on_the_other_engines() -> None:
    engine = EspeakEngine()
    normal = synth(engine)
    fast = synth(engine, rate="+50%")
    higher = synth(engine, pitch="+20Hz")
    quiet = synth(engine, volume="-50%")

    assert 0.55 < fast.duration / normal.duration < 0.8  # ~1/1.5
    lift = median_pitch(higher.samples, 22050) - median_pitch(normal.samples, 22050)
    assert 10 < lift < 30
    peak = float(np.max(np.abs(quiet.samples))) / float(np.max(np.abs(normal.samples)))
    assert 0.4 < peak < 0.6
    assert EspeakParams.from_voice(load_profile("espeak-en")).options() == [
        *("-s", "175", "-p", "50", "-a", "100")
    ]


@needs_espeak
def test_several_jobs_keep_every_take_with_its_request() -> None:
    texts = ["One.", "Two, three.", "Four five six seven."]
    voice = load_profile("espeak-en")
    requests = [SynthesisRequest(i, t) for i, t in enumerate(texts)]
    takes = dict(EspeakEngine().synthesize(requests, voice, jobs=3))
    single = dict(EspeakEngine().synthesize(requests, voice, jobs=1))
    assert sorted(takes) == [0, 1, 2]
    assert all(np.array_equal(takes[i].samples, single[i].samples) for i in takes)
    assert takes[0].duration < takes[2].duration


@needs_espeak
def test_renders_an_english_speech(tmp_path: Path) -> None:
    source = tmp_path / "talk.txt"
    source.write_text("Annual Meeting\n\nGood morning.\n\n1. Our goals. We will grow.\n")
    settings = RenderSettings(voice=load_profile("espeak-en"), output_dir=tmp_path / "o")
    result = render(source, settings, store=MemoryStore())
    assert result.utterances == 3 and result.outputs["m4b"].exists()


@needs_espeak
def test_unknown_espeak_voice_is_a_settings_error() -> None:
    voice = replace(load_profile("espeak-en"), voice="xx-nowhere")
    with pytest.raises(SettingsError, match="espeak-ng cannot use voice 'xx-nowhere'"):
        EspeakEngine().check(voice)


def test_pitch_out_of_reach_is_a_settings_error() -> None:
    voice = replace(load_profile("espeak-en"), pitch="+90Hz")
    with pytest.raises(SettingsError, match=r"pitch \+90Hz is outside what espeak-ng can do"):
        EspeakParams.from_voice(voice)


def test_missing_program_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = load_profile("espeak-en")
    with pytest.raises(EngineUnavailable) as caught:
        EspeakEngine(binary=str(tmp_path / "no-espeak-ng")).check(voice)
    assert "apt-get install espeak-ng" in str(caught.value)
    assert caught.value.exit_code == 3

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    source = tmp_path / "talk.txt"
    source.write_text("Meeting\n\nGood morning.\n")
    out = tmp_path / "out"
    code, _, stderr = cli("render", str(source), "--voice", "espeak-en", "-o", str(out))
    assert code == 3
    (line,) = [line for line in stderr.splitlines() if line.strip()]
    assert line.startswith("error: the espeak voice needs the espeak-ng program")
    assert "apt-get install espeak-ng" in line
    assert not out.exists()


def test_parse_wav_reads_a_streamed_header() -> None:
    pcm = (np.array([0, 16384, -16384, 32767], dtype="<i2")).tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    data = b"RIFF" + b"\xff\xff\xff\x7f" + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    data += b"data" + b"\x00\xf0\xff\x7f" + pcm + b"\x01"  # bogus sizes, an odd trailing byte
    samples, rate = parse_wav(data)
    assert rate == 22050
    assert samples.tolist() == pytest.approx([0.0, 0.5, -0.5, 32767 / 32768])
