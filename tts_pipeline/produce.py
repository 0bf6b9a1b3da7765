"""Takes → finished files: trim, time, level, encode every format once, write the sidecars.

Two passes over the takes, one take in memory at a time per core (the programme is never held
whole):
1. trim each take → its Cut (timing), its loudness measurement and its boundaries;
   build the Timeline and the LoudnessPlan;
2. trim again → gain/limit → 16-bit PCM stream → one ffmpeg process writing every format.
Then the subtitles and chapter sidecars, all from the same Timeline.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tts_pipeline import containers, overview, stitch, subtitles
from tts_pipeline import loudness as lufs
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.export import Tags, write_text_atomic
from tts_pipeline.segment import Plan

# Sidecar files: output kind → file name suffix after the stem.
SIDECARS = {
    "srt": ".srt",
    "vtt": ".vtt",
    "chapters_vtt": ".chapters.vtt",
    "chapters_json": ".chapters.json",
}
CUE_SHEET_SUFFIX = ".cue"
OVERVIEW_SUFFIX = ".png"


@dataclass(frozen=True)
class OutputOptions:
    formats: tuple[str, ...] = containers.DEFAULT_FORMATS
    loudness: float | None = lufs.DEFAULT_TARGET_LUFS  # None: leave levels as synthesized
    true_peak: float = lufs.DEFAULT_TRUE_PEAK_DBTP
    cover: containers.Cover | None = None
    subtitles: bool = True
    overview: bool = False  # <stem>.png: waveform and chapters, drawn as the audio streams


@dataclass(frozen=True)
class Measured:
    """Pass 1: everything known about the takes without keeping their audio."""

    timeline: stitch.Timeline
    loudness: lufs.LoudnessPlan | None
    boundaries: dict[str, tuple[Boundary, ...]]
    sources: tuple[tuple[str, str], ...]  # (engine, voice) of each take


@dataclass(frozen=True)
class Produced:
    measured: Measured
    outputs: dict[str, Path]  # kind → path (audio formats, cue sheet, subtitles, chapters)
    cues: list[subtitles.Cue] = field(default_factory=list)

    @property
    def timeline(self) -> stitch.Timeline:
        return self.measured.timeline

    @property
    def loudness(self) -> lufs.LoudnessPlan | None:
        return self.measured.loudness


@dataclass(frozen=True)
class _TakeFacts:
    """What pass 1 keeps of one take (its audio is dropped)."""

    source: tuple[str, str]  # engine, voice
    cut: stitch.Cut
    level: lufs.TakeLoudness | None
    boundaries: tuple[Boundary, ...]


def _take_facts(take: Take, rate: int, loudness: bool) -> _TakeFacts:
    samples, cut = stitch.cut_take(take, rate)
    level = lufs.measure_take(samples, rate) if loudness else None
    return _TakeFacts((take.engine, take.voice), cut, level, take.boundaries)


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def measure(
    plan: Plan,
    take_at: Callable[[int], Take],
    options: OutputOptions,
    rate: int = stitch.PROGRAMME_RATE,
) -> Measured:
    cuts: list[stitch.Cut] = []
    levels: list[lufs.TakeLoudness] = []
    boundaries: dict[str, tuple[Boundary, ...]] = {}
    sources: list[tuple[str, str]] = []
    loudness = options.loudness is not None
    # Takes are measured on every core (numpy lets go of the GIL in the filtering and true-peak
    # arithmetic), each thread holding one take; results come back in plan order.
    utterances = plan.utterances
    with ThreadPoolExecutor(max_workers=_threads()) as pool:
        facts = pool.map(lambda i: _take_facts(take_at(i), rate, loudness), range(len(utterances)))
        for utterance, fact in zip(utterances, facts, strict=True):
            sources.append(fact.source)
            cuts.append(fact.cut)
            if fact.level is not None:
                levels.append(fact.level)
            if fact.boundaries:
                boundaries[utterance.id] = fact.boundaries
    timeline = stitch.build_timeline(plan, cuts, rate, chapter_grid=stitch.cue_grid(rate))
    level_plan = (
        lufs.plan_loudness(levels, rate, options.loudness, options.true_peak)
        if options.loudness is not None
        else None
    )
    return Measured(timeline, level_plan, boundaries, tuple(sources))


def programme_pcm(
    measured: Measured, take_at: Callable[[int], Take], count: int
) -> Iterator[bytes]:
    """Pass 2: the finished programme as 16-bit PCM, one take (and its pause) at a time."""
    rate = measured.timeline.sample_rate
    level_plan = measured.loudness

    def takes() -> Iterator[np.ndarray]:
        for i in range(count):
            samples, _ = stitch.cut_take(take_at(i), rate)
            yield level_plan.apply(i, samples) if level_plan else samples

    return stitch.stream_pcm(measured.timeline, takes())


def produce(
    plan: Plan,
    take_at: Callable[[int], Take],
    out_dir: Path,
    stem: str,
    tags: Tags,
    options: OutputOptions,
) -> Produced:
    measured = measure(plan, take_at, options)
    timeline = measured.timeline
    targets = containers.output_paths(out_dir, stem, options.formats)
    pcm = programme_pcm(measured, take_at, len(plan.utterances))
    envelope = overview.Envelope(timeline.total) if options.overview else None
    if envelope is not None:
        pcm = envelope.tap(pcm)  # the waveform is gathered from the same stream, no decoding
    containers.encode(pcm, timeline, tags, targets, options.cover)
    outputs: dict[str, Path] = dict(targets)
    if envelope is not None:
        png_path = out_dir / f"{stem}{OVERVIEW_SUFFIX}"
        spans = [
            overview.ChapterSpan(m.title, timeline.seconds(m.start), timeline.seconds(m.end))
            for m in timeline.chapters
        ]
        overview.write_overview(png_path, envelope, spans, timeline.duration)
        outputs["overview"] = png_path
    if "wav" in targets:
        cue_path = out_dir / f"{stem}{CUE_SHEET_SUFFIX}"
        write_text_atomic(cue_path, containers.cue_sheet(timeline, tags, targets["wav"].name))
        outputs["cue"] = cue_path
    cues: list[subtitles.Cue] = []
    if options.subtitles:
        cues = subtitles.build_cues(plan, timeline, measured.boundaries)
        texts = {
            "srt": subtitles.to_srt(cues, timeline),
            "vtt": subtitles.to_vtt(cues, timeline),
            "chapters_vtt": subtitles.chapters_vtt(timeline),
            "chapters_json": subtitles.chapters_json(timeline, tags.title),
        }
        for kind, suffix in SIDECARS.items():
            path = out_dir / f"{stem}{suffix}"
            write_text_atomic(path, texts[kind])
            outputs[kind] = path
    return Produced(measured, outputs, cues)


def take_details(produced: Produced, plan: Plan) -> dict[str, dict[str, Any]]:
    """Per-utterance facts for the manifest: engine, where the voice is, the gain applied."""
    timeline = produced.timeline
    details: dict[str, dict[str, Any]] = {}
    for i, (u, p) in enumerate(zip(plan.utterances, timeline.placements, strict=True)):
        engine, voice = produced.measured.sources[i]
        entry: dict[str, Any] = {
            "engine": engine,
            "voice": voice,
            "voice_start": timeline.ms(p.voice_start) / 1000,
            "voice_end": timeline.ms(p.voice_end) / 1000,
        }
        if produced.loudness is not None:
            entry["gain_db"] = round(produced.loudness.take_gains_db[i], 2)
        details[u.id] = entry
    return details
