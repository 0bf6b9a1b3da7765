"""BS.1770 loudness in numpy, checked against ffmpeg's ebur128 meter; levelling, target, limiter."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.audio_tools import SR, click, decode, ebur128, noise, silence, tone, write_wav
from tts_pipeline.audio.loudness.leveller import StreamingLeveller, check_target
from tts_pipeline.audio.loudness.limiter import _running_min
from tts_pipeline.audio.loudness.meter import (
    TRUE_PEAK_KAISER_BETA,
    TRUE_PEAK_TAPS_PER_PHASE,
    BlockPool,
    block_energies,
    db_to_gain,
    gated_loudness,
    integrated_loudness,
    k_weight,
    k_weighting_biquads,
    measure_take,
    measurement_fits,
    oversampling,
    peak_envelope,
    true_peak,
)
from tts_pipeline.cli.options import loudness_target
from tts_pipeline.engines.base import Take
from tts_pipeline.errors import SettingsError
from tts_pipeline.outputs.programme import Programme, ProgrammeOptions, produce
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import build_plan


def syllables(seconds: float, dbfs: float, seed: int, rate: int = SR) -> np.ndarray:
    """Speech-like: noise bursts of 150-300 ms with short pauses, some quieter than others."""
    rng = np.random.default_rng(seed)
    parts = []
    total = 0.0
    while total < seconds:
        length = float(rng.uniform(0.15, 0.3))
        level = dbfs - float(rng.uniform(0, 12))
        parts += [noise(length, level, seed=int(rng.integers(1e9)), rate=rate)]
        gap = float(rng.uniform(0.03, 0.12))
        parts += [np.zeros(round(gap * rate), dtype=np.float32)]
        total += length + gap
    return np.concatenate(parts)


def test_k_weighting_matches_the_published_48k_coefficients() -> None:
    (b1, a1), (b2, a2) = k_weighting_biquads(48_000)
    assert np.allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-9)
    assert np.allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-9)
    assert np.allclose(b2, [1.0, -2.0, 1.0])
    assert np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)


def test_full_scale_997_hz_sine_reads_minus_3_lufs() -> None:
    t = np.arange(48_000 * 3) / 48_000
    assert abs(integrated_loudness(np.sin(2 * np.pi * 997 * t), 48_000) - -3.01) < 0.01


@pytest.mark.parametrize(
    ("name", "rate"),
    [("noise", SR), ("syllables", SR), ("syllables with long silences", SR), ("tones", 48_000)],
)
def test_integrated_loudness_agrees_with_ffmpeg(tmp_path: Path, name: str, rate: int) -> None:
    signals = {
        "noise": lambda: noise(6.0, -25, seed=1, rate=rate),
        "syllables": lambda: syllables(8.0, -20, seed=2, rate=rate),
        # Long silences and a quiet passage: the absolute and relative gates both matter.
        "syllables with long silences": lambda: np.concatenate(
            [
                syllables(4, -18, 3, rate),
                silence(3, rate),
                syllables(3, -40, 4, rate),
                silence(2, rate),
                syllables(4, -22, 5, rate),
            ]  # fmt: skip
        ),
        "tones": lambda: np.concatenate(
            [tone(2, 100, 0.3, rate), tone(2, 3000, 0.1, rate), tone(2, 12000, 0.2, rate)]
        ),
    }
    samples = signals[name]()
    ours = integrated_loudness(samples, rate)
    theirs = ebur128(write_wav(tmp_path / "x.wav", samples, rate)).integrated
    assert abs(ours - theirs) <= 0.15, (ours, theirs)


def test_true_peak_finds_the_peak_between_samples(tmp_path: Path) -> None:
    # A sine at a quarter of the sample rate, 45° off: every sample is at 0.707 of the peak.
    n = np.arange(SR)
    samples = 0.5 * np.sin(2 * np.pi * (SR / 4) * n / SR + math.pi / 4)
    assert np.max(np.abs(samples)) == pytest.approx(0.5 / math.sqrt(2), rel=1e-6)
    assert 20 * math.log10(true_peak(samples, SR) / 0.5) == pytest.approx(0.0, abs=0.15)
    # Against ffmpeg's meter (which resamples to 48 kHz first), on speech-like, not white, noise.
    speech = np.convolve(syllables(4, -12, seed=9), [0.25, 0.5, 0.25], "same")
    theirs = ebur128(write_wav(tmp_path / "x.wav", speech, SR)).true_peak
    assert abs(20 * math.log10(true_peak(speech, SR)) - theirs) <= 0.35


def test_running_min_matches_the_naive_one() -> None:
    values = np.random.default_rng(0).random(1000)
    for radius in (1, 3, 17):
        naive = [values[max(0, i - radius) : i + radius + 1].min() for i in range(len(values))]
        assert np.array_equal(_running_min(values, radius), naive)


def _programme(
    tmp_path: Path, takes: list[np.ndarray], target: float
) -> tuple[Programme, list[np.ndarray], Path]:
    """The takes made into a programme as a render makes it (one streaming pass, a second one
    if it missed the target): the programme, each take as written, the WAV file."""
    lines = "\n".join(f"Paragraph {i}." for i in range(len(takes) - 1))
    plan = build_plan(parse(f"Title\n{lines}\n"))
    assert len(plan.utterances) == len(takes)
    wav = tmp_path / "p.wav"
    programme = produce(
        plan,
        lambda i: Take(takes[i], SR, "test", "noise"),
        {"wav": wav},
        Tags("T"),
        ProgrammeOptions(loudness=target),
    )
    audio = decode(wav)
    written = [audio[p.start : p.end] for p in programme.timeline.placements]
    return programme, written, wav


def _takes(levels: list[float], seconds: float = 2.5) -> list[np.ndarray]:
    return [syllables(seconds + 0.5 * (i % 3), db, seed=i) for i, db in enumerate(levels)]


def test_levelled_programme_hits_the_target(tmp_path: Path) -> None:
    levels = [-30.0, -14.0, -22.0, -26.0, -18.0]
    programme, written, path = _programme(tmp_path, _takes(levels), target=-18.0)
    measured = ebur128(path)
    assert abs(measured.integrated - -18.0) <= 0.5, measured
    assert measured.true_peak <= -1.5 + 0.05
    own = [integrated_loudness(t, SR) for t in written]
    assert max(own) - min(own) <= 0.5, own  # no paragraph suddenly louder
    # The programme loudness predicted from per-take measurements (streaming) is close to the
    # one measured on the whole programme.
    plan_ = programme.loudness
    assert plan_ is not None
    assert abs(plan_.levelled + plan_.overall_db - measured.integrated) <= 0.5


def test_limiter_keeps_the_true_peak_under_the_ceiling(tmp_path: Path) -> None:
    # Noise-like "speech" has a high crest factor: at -14 LUFS its peaks would reach ~+1 dBTP.
    programme, written, path = _programme(tmp_path, _takes([-30.0, -28.0, -29.0]), -14.0)
    plan_ = programme.loudness
    assert plan_ is not None and plan_.limited_takes == 3
    gains = [db_to_gain(g) for g in plan_.take_gains_db]
    # Unlimited, every take would pass the ceiling.
    assert all(
        peak * gain > db_to_gain(-1.5) for peak, gain in zip(plan_.peaks, gains, strict=True)
    )
    assert max(true_peak(t, SR) for t in written) <= db_to_gain(-1.5 + 0.05)  # 16-bit rounding
    measured = ebur128(path)
    assert measured.true_peak <= -1.5 + 0.05, measured
    assert abs(measured.integrated - -14.0) <= 1.0, measured


def test_a_programme_that_misses_its_target_is_made_again(tmp_path: Path) -> None:
    """Very short takes: pooled with their edges, the programme comes out about 1 LU under the
    target in one pass, so the production makes it again with the difference as an offset."""
    takes = _takes([-20.0] * 12, seconds=0.25)
    first_pass = StreamingLeveller(SR, -18.0)
    for take in takes:
        first_pass.apply(take)
    assert abs(-18.0 - first_pass.result()) > 0.5  # what makes a second pass needed
    programme, _, path = _programme(tmp_path, takes, target=-18.0)
    assert abs(ebur128(path).integrated - -18.0) <= 0.5
    assert programme.loudness is not None
    assert abs(programme.loudness.overall_db - first_pass.plan().overall_db) > 0.5


def test_streaming_leveller_levels_each_take_as_it_comes() -> None:
    leveller = StreamingLeveller(SR, -18.0)
    out = [leveller.apply(t)[0] for t in _takes([-30.0, -14.0, -22.0, -26.0])]
    own = [integrated_loudness(t, SR) for t in out]
    assert max(own) - min(own) <= 0.5, own
    assert all(abs(x - -18.0) <= 0.5 for x in own), own
    # result() predicts the loudness of the takes in a programme with pauses between them.
    gap = silence(0.6)
    programme = np.concatenate([part for t in out for part in (t, gap)])
    assert abs(leveller.result() - integrated_loudness(programme, SR)) <= 0.3
    assert len(leveller.plan().take_gains_db) == 4


def test_silence_and_short_takes_do_not_break_the_leveller() -> None:
    leveller = StreamingLeveller(SR, -18.0)
    quiet, gain = leveller.apply(np.zeros(SR, dtype=np.float32))
    assert gain == 0.0 and not quiet.any()
    assert math.isinf(measure_take(np.zeros(SR, dtype=np.float32), SR).own)
    short, gain = leveller.apply(tone(0.2))
    assert math.isfinite(gain)
    assert abs(measure_take(short, SR).own - -18.0) < 0.1  # shorter than a block: its mean square
    assert leveller.plan().take_gains_db == (0.0, gain)


def test_block_pool_gives_the_integrated_loudness_of_its_blocks() -> None:
    assert math.isinf(BlockPool().loudness())
    pool = BlockPool()
    everything = []
    for i, db in enumerate([-20.0, -45.0, -30.0, -80.0, -12.0]):
        energies = block_energies(k_weight(syllables(5.0, db, seed=i), SR), SR)
        pool.add(energies)
        everything.append(energies)
    exact = gated_loudness(np.concatenate(everything))
    assert abs(pool.loudness() - exact) <= 0.01  # 0.01 LU bins
    silent = BlockPool()
    silent.add(np.zeros(100))  # under the absolute gate: not counted
    assert math.isinf(silent.loudness())


@pytest.mark.parametrize(("text", "value"), [("-16", -16.0), ("off", None), ("-23 LUFS", -23.0)])
def test_loudness_option(text: str, value: float | None) -> None:
    assert loudness_target(text) == value


def test_loudness_option_rejects_what_is_not_a_number() -> None:
    with pytest.raises(SettingsError, match="--loudness must be a number"):
        loudness_target("loud")


@pytest.mark.parametrize("value", [0.0, -60.0, math.nan])
def test_loudness_target_out_of_range(value: float) -> None:
    with pytest.raises(SettingsError, match="--loudness must be between"):
        check_target(value)


def test_peak_envelope_shortcut_is_exact_where_it_matters() -> None:
    """Skipping quiet neighbourhoods never changes a value that can reach the floor."""
    x = np.convolve(syllables(3, -10, seed=4), [0.3, 0.4, 0.3], "same").astype(np.float64)
    full = peak_envelope(x, SR, floor=0.0)
    # Reference: plain polyphase convolution with the same taps.
    factor = oversampling(SR)
    half = TRUE_PEAK_TAPS_PER_PHASE * factor // 2
    k = np.arange(-half, half + 1)
    h = np.sinc(k / factor) * np.kaiser(len(k), TRUE_PEAK_KAISER_BETA)
    reference = np.abs(x)
    for p in range(1, factor):
        offset = (half + p) // factor
        taps = h[factor * np.arange(-offset, (half - p) // factor + 1) + p + half]
        y = np.convolve(x, taps)[offset : offset + len(x)]
        reference = np.maximum(reference, np.abs(y))
    assert np.allclose(full, reference, atol=1e-12)
    for floor in (0.2, 0.5, 0.8):
        fast = peak_envelope(x, SR, floor=floor)
        reaches = reference >= floor
        assert np.allclose(fast[reaches], reference[reaches], atol=1e-12)
        assert np.all(fast[~reaches] < floor)


@pytest.mark.parametrize("rate", [SR, 48_000])
def test_a_measurement_fits_its_own_audio_and_no_other_numbers(rate: int) -> None:
    """measurement_fits (used before trusting a stored measurement) accepts what measure_take
    finds for every kind of take, and refuses the same measurement with any number changed."""
    takes = {
        "speech-like": syllables(3.0, -20, seed=3, rate=rate),
        "over full scale": tone(1.0, 3000, 1.7, rate=rate),
        "bright": tone(0.8, rate / 2.2, 0.9, rate=rate),
        "shorter than a block": tone(0.05, 440, 0.3, rate=rate),
        "silence": silence(1.0, rate=rate),
        "empty": np.zeros(0, dtype=np.float32),
        "a click": np.concatenate([silence(0.5, rate), click(0.8, rate), silence(0.5, rate)]),
    }
    for name, samples in takes.items():
        measured = measure_take(samples, rate)
        assert measurement_fits(measured, samples, rate), name
        other = syllables(3.0, -30, seed=4, rate=rate)
        assert not measurement_fits(measured, other, rate) or len(samples) == 0, name
        wrong = [
            replace(measured, seconds=measured.seconds + 1 / rate),
            replace(measured, blocks=measured.blocks[:-1]),
            replace(measured, blocks=np.append(measured.blocks, 0.0)),
            replace(measured, peak=measured.peak * 2.5 + 1e-3),  # (a bound: 2.39 times)
        ]
        if len(measured.blocks):
            blocks = measured.blocks.copy()
            blocks[len(blocks) // 2] = 1e300
            wrong.append(replace(measured, blocks=blocks))
            blocks[len(blocks) // 2] = np.nan
            wrong.append(replace(measured, blocks=blocks))
        if len(samples) and np.any(samples):
            wrong += [
                replace(measured, peak=float(np.max(np.abs(samples))) * 0.99),
                replace(measured, own=measured.own + 3.0 if math.isfinite(measured.own) else 0.0),
                replace(measured, own=math.nan),
            ]
        for number, bad in enumerate(wrong):
            assert not measurement_fits(bad, samples, rate), (name, number)
