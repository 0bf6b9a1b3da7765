from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from tests.audio_tools import SyntheticEngine, click, decode, noise, silence, voiced_regions
from tts_pipeline.audio.timeline import Timeline, TimelineBuilder, cue_grid
from tts_pipeline.audio.trim import TRIM_KEEP_SECONDS, Cut, cut_take, find_cut, to_rate
from tts_pipeline.engines.base import Take
from tts_pipeline.outputs.programme import PROGRAMME_RATE, ProgrammeOptions, produce
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.voices import Pauses, load_profile

SR = PROGRAMME_RATE


def tone(seconds: float, freq: float = 220.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def placed(plan: Plan, cuts: list[Cut], chapter_grid: int = 0) -> Timeline:
    """The timeline of takes cut as ``cuts``, placed one after another (as the programme does)."""
    builder = TimelineBuilder(plan, SR, chapter_grid)
    for cut in cuts:
        builder.place(cut)
    return builder.finish()


def whole(samples: int) -> Cut:
    """A take kept whole: all voice, no margins."""
    return Cut(0, samples, 0, samples)


def padded(lead: float, body: float, tail: float) -> Take:
    samples = np.concatenate([np.zeros(int(lead * SR)), tone(body), np.zeros(int(tail * SR))])
    return Take(samples.astype(np.float32), SR, "test", "tone")


def test_trim_removes_padding_but_keeps_margin() -> None:
    take = padded(0.7, 1.0, 1.3)
    trimmed, cut = cut_take(take, SR)
    keep = TRIM_KEEP_SECONDS * SR
    assert abs(cut.start - (0.7 * SR - keep)) <= 0.011 * SR
    assert abs(cut.end - (1.7 * SR + keep)) <= 0.011 * SR
    assert len(trimmed) == cut.length
    assert abs(len(trimmed) / SR - (1.0 + 2 * TRIM_KEEP_SECONDS)) < 0.025
    assert trimmed[0] == 0.0 and trimmed[-1] == 0.0  # faded in and out: no click


def test_trim_of_silence_is_empty() -> None:
    assert len(cut_take(Take(np.zeros(SR, dtype=np.float32), SR, "t", "v"), SR)[0]) == 0


def test_resample() -> None:
    assert len(to_rate(np.zeros(16000, dtype=np.float32), 16000, SR)) == SR


def test_timeline_is_exact() -> None:
    doc = parse("T\nOne.\nTwo.\n# Next\nThree.\n")
    pauses = Pauses(title=1.0, paragraph=0.5, chapter=2.0)
    plan = build_plan(doc, pauses)
    timeline = placed(plan, [whole(len(tone(0.5 + 0.1 * i))) for i in range(len(plan.utterances))])
    gaps = [p.gap_after / SR for p in timeline.placements]
    assert gaps == [u.pause_after for u in plan.utterances]
    for prev, nxt in zip(timeline.placements, timeline.placements[1:], strict=False):
        assert nxt.start == prev.end + prev.gap_after
    assert [m.title for m in timeline.chapters] == ["Opening", "Next"]
    assert timeline.chapters[0].start == 0
    heading = next(p for p in timeline.placements if p.utterance_id == "c02-p001")
    assert timeline.chapters[1].start == heading.start
    assert timeline.chapters[0].end == timeline.chapters[1].start
    assert timeline.chapters[-1].end == timeline.total


def test_the_programme_streams_exactly_its_timeline(tmp_path: Path) -> None:
    doc = parse("T\nOne.\nTwo.\n# Next\nThree.\n")
    plan = build_plan(doc, Pauses(title=1.0, paragraph=0.5, chapter=2.0))
    takes = [Take(tone(0.5 + 0.1 * i), SR, "test", "tone") for i in range(len(plan.utterances))]
    out = tmp_path / "p.wav"
    options = ProgrammeOptions(loudness=None)
    timeline = produce(plan, takes.__getitem__, {"wav": out}, Tags("T"), options).timeline
    audio = decode(out)
    assert len(audio) == timeline.total
    for p in timeline.placements:  # each take where the timeline says, exact silence between
        assert np.abs(audio[p.start : p.end]).max() > 0.4
        assert not audio[p.end : p.end + p.gap_after].any()


# ---------------------------------------------------------------------------------------------
# Robust trimming: noise floor, clicks, consonant onsets; margins count towards the pause


def _take(*parts: np.ndarray, floor_db: float | None = None) -> Take:
    samples = np.concatenate(parts).astype(np.float32)
    if floor_db is not None:
        samples = samples + noise(len(samples) / SR, floor_db, seed=len(samples))
    return Take(samples.astype(np.float32), SR, "test", "tone")


def test_trim_finds_voice_over_a_noise_floor() -> None:
    take = _take(silence(0.6), tone(1.0, amp=0.3), silence(0.9), floor_db=-50)
    cut = find_cut(take.samples, SR)
    assert abs(cut.voice_start - 0.6 * SR) <= 0.002 * SR
    assert abs(cut.voice_end - 1.6 * SR) <= 0.002 * SR
    assert cut.lead == cut.tail == round(TRIM_KEEP_SECONDS * SR)


def test_trim_ignores_isolated_clicks() -> None:
    take = _take(
        silence(0.2), click(0.8), silence(0.3), tone(0.8), silence(0.25), click(-0.9),
        silence(0.5), floor_db=-70,
    )  # fmt: skip
    cut = find_cut(take.samples, SR)
    start = 0.2 + 0.001 + 0.3
    assert abs(cut.voice_start / SR - start) <= 0.002
    assert abs(cut.voice_end / SR - (start + 0.8)) <= 0.002


def test_trim_keeps_a_burst_right_before_the_voice() -> None:
    """A plosive burst 40 ms before the vowel belongs to the word."""
    burst = noise(0.012, -20, seed=3)
    take = _take(silence(0.5), burst, silence(0.04), tone(0.6), silence(0.5), floor_db=-80)
    cut = find_cut(take.samples, SR)
    assert abs(cut.voice_start / SR - 0.5) <= 0.003


def test_trim_with_poor_signal_to_noise() -> None:
    take = _take(silence(0.4), tone(0.7, amp=0.05), silence(0.6), floor_db=-52)  # ~23 dB SNR
    cut = find_cut(take.samples, SR)
    assert abs(cut.voice_start / SR - 0.4) <= 0.01
    assert abs(cut.voice_end / SR - 1.1) <= 0.01


def test_margins_count_towards_the_pause() -> None:
    doc = parse("T\nOne.\nTwo.\n# Next\nThree.\n")
    pauses = Pauses(title=1.0, paragraph=0.5, chapter=2.0)
    plan = build_plan(doc, pauses)
    n = len(plan.utterances)
    takes = [_take(silence(0.3 + 0.1 * i), tone(0.5), silence(0.7)) for i in range(n)]
    timeline = placed(plan, [cut_take(t, SR)[1] for t in takes])
    for u, p, q in zip(plan.utterances, timeline.placements, timeline.placements[1:], strict=False):
        assert q.voice_start - p.voice_end == round(u.pause_after * SR)
        assert q.start == p.end + p.gap_after


def test_chapters_start_on_the_cue_frame_grid() -> None:
    doc = parse("T\nOne.\n# A\nTwo.\n# B\nThree.\n")
    plan = build_plan(doc, Pauses(chapter=1.5))
    cuts = [whole(12_345 + 997 * i) for i in range(len(plan.utterances))]
    grid = cue_grid(SR)
    assert grid == 320
    plain = placed(plan, cuts)
    aligned = placed(plan, cuts, chapter_grid=grid)
    for mark in aligned.chapters:
        assert mark.start % grid == 0
    for a, b in zip(plain.placements, aligned.placements, strict=True):
        assert abs(a.gap_after - b.gap_after) <= grid // 2
    assert cue_grid(22_050) == 294 and cue_grid(16_000) == 0


# ---------------------------------------------------------------------------------------------
# Measured on a rendered file: every gap within 30 ms of its setting

LONG = " ".join(f"Sentence number {n} of the long paragraph goes here." for n in range(1, 9))
GAP_DOC = f"Gaps\nFirst paragraph.\nSecond paragraph here.\n{LONG}\n# Two\nLast words.\n"


def _gap_take(text: str, index: int) -> Take:
    """Padding of varying length, a noise floor, stray clicks, two 'words' with a short dip."""
    word = tone(0.01 * len(text) + 0.15, 200 + 10 * index, (0.1, 0.4)[index % 2])
    lead = 0.25 + 0.15 * (index % 3)
    return _take(
        silence(0.05), click(0.6), silence(lead), word, silence(0.06), word, silence(0.3),
        click(-0.5), silence(0.5 + 0.2 * (index % 2)), floor_db=-72,
    )  # fmt: skip


def test_rendered_gaps_match_the_settings(tmp_path: Path) -> None:
    pauses = Pauses(title=1.0, sentence=0.3, paragraph=0.6, chapter=1.5)
    voice = replace(load_profile(None), pauses=pauses)
    source = tmp_path / "gaps.txt"
    source.write_text(GAP_DOC, encoding="utf-8")
    settings = RenderSettings(
        voice=voice, output_dir=tmp_path / "out", use_cache=False, formats=("flac", "m4b")
    )
    result = render(source, settings, store=MemoryStore(), engine=SyntheticEngine(_gap_take))
    plan = build_plan(parse(GAP_DOC), pauses)
    expected = [u.pause_after for u in plan.utterances[:-1]]
    assert {"title", "sentence", "paragraph", "chapter"} <= {
        k for k, v in asdict(pauses).items() if v in expected
    }
    for fmt in ("flac", "m4b"):
        regions = voiced_regions(decode(result.outputs[fmt]), SR, threshold_db=-40)
        assert len(regions) == len(plan.utterances), fmt
        gaps = [b[0] - a[1] for a, b in zip(regions, regions[1:], strict=False)]
        errors = [abs(g - e) for g, e in zip(gaps, expected, strict=True)]
        assert max(errors) <= 0.030, (fmt, gaps, expected)
