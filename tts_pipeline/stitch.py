"""Takes → programme: trim each take's silence, insert exact pauses, and keep a Timeline.

The timeline is computed from sample counts before any audio is joined, so chapter and subtitle
times are exact, and the programme can be streamed take by take (never held whole in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from tts_pipeline.engines.base import Take
from tts_pipeline.text.segment import Plan

PROGRAMME_RATE = 24_000

# Trimming works on 5 ms frames. A frame is voice when its level is above a threshold that sits
# TRIM_RELATIVE_DB below the take's loudest 50 ms, but at least TRIM_FLOOR_MARGIN_DB above its
# noise floor (the quietest frames), and never closer than TRIM_MAX_THRESHOLD_DB to the loudest.
TRIM_HOP_SECONDS = 0.005
TRIM_REFERENCE_SECONDS = 0.050
TRIM_RELATIVE_DB = -40.0
TRIM_FLOOR_MARGIN_DB = 10.0
TRIM_FLOOR_PERCENTILE = 10.0
TRIM_MAX_THRESHOLD_DB = -20.0
SILENT_TAKE_DBFS = -70.0  # a take whose loudest 50 ms is quieter than this is silence
# A loud run shorter than this is a click, not voice, unless it lies within TRIM_ATTACH_SECONDS
# of voice (a plosive burst or a breath onset right before a vowel belongs to the word).
TRIM_MIN_VOICE_SECONDS = 0.040
TRIM_ATTACH_SECONDS = 0.080
# Keep this much around the voiced part so no soft onset or final consonant is clipped. The kept
# margins count towards the pause that follows, so voice-to-voice gaps equal the settings.
TRIM_KEEP_SECONDS = 0.030
FADE_SECONDS = 0.005

# Chapter starts are placed on this grid (a CD frame, 1/75 s) when the sample rate allows, so cue
# sheets (which count in CD frames) hold exactly the same chapter times as every other format.
CUE_FRAMES_PER_SECOND = 75


@dataclass(frozen=True)
class Cut:
    """Where a take was cut, in samples of the take at the programme rate.

    ``start:end`` is kept; ``voice_start:voice_end`` is the voiced part inside it (the rest is the
    kept margin).
    """

    start: int
    end: int
    voice_start: int
    voice_end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def lead(self) -> int:
        return self.voice_start - self.start

    @property
    def tail(self) -> int:
        return self.end - self.voice_end


@dataclass(frozen=True)
class Placement:
    """Where one utterance sits in the programme, in samples.

    ``start:end`` is its audio (voice plus kept margins), ``voice_start:voice_end`` the voice
    inside it, ``offset`` how many samples (programme rate) were trimmed from the take's start:
    a time ``t`` seconds into the untrimmed take is at ``start + t * rate - offset``.
    """

    utterance_id: str
    chapter: int
    start: int
    end: int
    gap_after: int
    voice_start: int = 0
    voice_end: int = 0
    offset: int = 0


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Timeline:
    sample_rate: int
    placements: tuple[Placement, ...]
    chapters: tuple[ChapterMark, ...]
    total: int  # samples
    leading: int = 0  # silence before the first utterance
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.total / self.sample_rate

    def seconds(self, samples: int) -> float:
        return samples / self.sample_rate

    def ms(self, samples: int) -> int:
        """A sample position in whole milliseconds (how every container stores chapter times)."""
        return (samples * 1000 + self.sample_rate // 2) // self.sample_rate


def to_rate(samples: np.ndarray, source_rate: int, target_rate: int = PROGRAMME_RATE) -> np.ndarray:
    """Resample by linear interpolation (engines here all produce 24 kHz; this is a safety net)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    n = round(len(samples) * target_rate / source_rate)
    positions = np.linspace(0, len(samples) - 1, num=n)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def _frame_levels(samples: np.ndarray, hop: int) -> np.ndarray:
    """Level of each ``hop``-sample frame in dBFS (RMS; -120 for digital silence)."""
    n = len(samples) // hop
    frames = samples[: n * hop].astype(np.float64).reshape(n, hop)
    power = np.mean(frames**2, axis=1)
    return 10.0 * np.log10(np.maximum(power, 1e-12))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges where ``mask`` is true."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _voiced_runs(runs: list[tuple[int, int]], min_len: int, attach: int) -> tuple[int, int]:
    """First and last frame (end exclusive) of voice: sustained runs plus the short runs that
    touch them (within ``attach`` frames); isolated short runs (clicks) are dropped."""
    sustained = [i for i, (a, b) in enumerate(runs) if b - a >= min_len]
    if not sustained:  # nothing sustained (a very short take): every loud frame is voice
        return runs[0][0], runs[-1][1]
    first, last = sustained[0], sustained[-1]
    while first > 0 and runs[first][0] - runs[first - 1][1] <= attach:
        first -= 1
    while last < len(runs) - 1 and runs[last + 1][0] - runs[last][1] <= attach:
        last += 1
    return runs[first][0], runs[last][1]


def find_cut(samples: np.ndarray, sample_rate: int) -> Cut:
    """Find the voiced part of a take (robust to a noise floor and to isolated clicks) and the
    margins kept around it. An all-silent take gives an empty cut."""
    hop = max(1, round(sample_rate * TRIM_HOP_SECONDS))
    levels = _frame_levels(samples, hop)
    if len(levels) == 0:
        return Cut(0, 0, 0, 0)
    smooth = max(1, round(TRIM_REFERENCE_SECONDS / TRIM_HOP_SECONDS))
    power = 10.0 ** (levels / 10.0)
    window = min(smooth, len(power))
    reference = 10.0 * np.log10(
        max(float(np.max(np.convolve(power, np.ones(window) / window, "valid"))), 1e-12)
    )
    if reference < SILENT_TAKE_DBFS:
        return Cut(0, 0, 0, 0)
    floor = float(np.percentile(levels, TRIM_FLOOR_PERCENTILE))
    threshold = min(
        max(reference + TRIM_RELATIVE_DB, floor + TRIM_FLOOR_MARGIN_DB),
        reference + TRIM_MAX_THRESHOLD_DB,
    )
    runs = _runs(levels > threshold)
    if not runs:  # pragma: no cover - the reference frame itself is above the threshold
        return Cut(0, 0, 0, 0)
    min_len = max(1, round(TRIM_MIN_VOICE_SECONDS / TRIM_HOP_SECONDS))
    attach = round(TRIM_ATTACH_SECONDS / TRIM_HOP_SECONDS)
    first, last = _voiced_runs(runs, min_len, attach)
    # Refine to the sample: the first/last sample louder than the threshold near the frame edge.
    amplitude = 10.0 ** (threshold / 20.0)
    lo = max(0, (first - 1) * hop)
    head = np.flatnonzero(np.abs(samples[lo : (first + 1) * hop]) > amplitude)
    voice_start = lo + int(head[0]) if len(head) else first * hop
    hi = min(len(samples), (last + 1) * hop)
    tail_lo = max(0, (last - 1) * hop)
    tail = np.flatnonzero(np.abs(samples[tail_lo:hi]) > amplitude)
    voice_end = tail_lo + int(tail[-1]) + 1 if len(tail) else last * hop
    keep = round(sample_rate * TRIM_KEEP_SECONDS)
    return Cut(
        start=max(0, voice_start - keep),
        end=min(len(samples), voice_end + keep),
        voice_start=voice_start,
        voice_end=voice_end,
    )


def voiced_bounds(samples: np.ndarray, sample_rate: int) -> tuple[int, int]:
    """First and last sample of the voiced part, with a small margin kept on both sides."""
    cut = find_cut(samples, sample_rate)
    return cut.start, cut.end


def cut_take(take: Take, sample_rate: int = PROGRAMME_RATE) -> tuple[np.ndarray, Cut]:
    """The take's voiced part at the programme rate (short fades against clicks) and its cut."""
    samples = to_rate(take.samples, take.sample_rate, sample_rate)
    cut = find_cut(samples, sample_rate)
    out = np.array(samples[cut.start : cut.end], dtype=np.float32)
    fade = min(len(out) // 2, int(sample_rate * FADE_SECONDS))
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out, cut


def trim(take: Take, sample_rate: int = PROGRAMME_RATE) -> np.ndarray:
    """The take's voiced part at the programme rate, with short fades against clicks."""
    return cut_take(take, sample_rate)[0]


def cue_grid(sample_rate: int) -> int:
    """Samples per CD frame (1/75 s) when that is a whole number, else 0 (no grid)."""
    frames, rest = divmod(sample_rate, CUE_FRAMES_PER_SECOND)
    return frames if rest == 0 else 0


class TimelineBuilder:
    """Places takes one at a time (plan order) as their cuts become known.

    ``place(cut)`` returns the silence to write before that take: the pause after the previous
    take depends on this take's kept lead (so voice-to-voice gaps equal the pause) and, at a
    chapter change, on the chapter grid. ``finish()`` adds the last pause and returns the
    Timeline. A streaming writer therefore never needs a take before it arrives.
    """

    def __init__(self, plan: Plan, sample_rate: int = PROGRAMME_RATE, chapter_grid: int = 0):
        self.plan = plan
        self.sample_rate = sample_rate
        self.chapter_grid = chapter_grid
        self._utterances = plan.utterances
        self._cuts: list[Cut] = []
        self._starts: list[int] = []
        self._gaps: list[int] = []

    @property
    def placed(self) -> int:
        return len(self._cuts)

    def place(self, take: int | Cut) -> int:
        """Place the next take; returns the samples of silence that go before it."""
        cut = take if isinstance(take, Cut) else Cut(0, take, 0, take)
        i = len(self._cuts)
        if i >= len(self._utterances):
            raise ValueError("more takes than utterances")
        before = 0
        cursor = 0
        if i:
            previous, previous_cut = self._utterances[i - 1], self._cuts[-1]
            previous_end = self._starts[-1] + previous_cut.length
            pause = round(previous.pause_after * self.sample_rate)
            before = max(0, pause - previous_cut.tail - cut.lead)
            cursor = previous_end + before
            grid = self.chapter_grid
            if grid and self._utterances[i].chapter != previous.chapter:
                aligned = round(cursor / grid) * grid
                if aligned < previous_end:
                    aligned += grid * -(-(previous_end - aligned) // grid)
                before = aligned - previous_end
                cursor = aligned
            self._gaps.append(before)
        self._cuts.append(cut)
        self._starts.append(cursor)
        return before

    def closing_silence(self) -> int:
        """The pause after the last take (the programme ends with it)."""
        if not self._cuts:
            return 0
        return round(self._utterances[len(self._cuts) - 1].pause_after * self.sample_rate)

    def finish(self) -> Timeline:
        utterances = self._utterances
        if len(self._cuts) != len(utterances):
            raise ValueError("one length per utterance is needed")
        gaps = [*self._gaps, self.closing_silence()] if utterances else []
        cuts, starts = self._cuts, self._starts
        placements = tuple(
            Placement(
                utterance_id=u.id,
                chapter=u.chapter,
                start=start,
                end=start + cut.length,
                gap_after=gap,
                voice_start=start + cut.lead,
                voice_end=start + cut.length - cut.tail,
                offset=cut.start,
            )
            for u, cut, start, gap in zip(utterances, cuts, starts, gaps, strict=True)
        )
        total = placements[-1].end + placements[-1].gap_after if placements else 0
        chapter_starts: list[tuple[int, int]] = []  # (chapter index, start sample)
        for placement in placements:
            if not chapter_starts or chapter_starts[-1][0] != placement.chapter:
                # The first chapter starts at 0 so the title belongs to it.
                start = 0 if not chapter_starts else placement.start
                chapter_starts.append((placement.chapter, start))
        marks = []
        for i, (chapter_index, start) in enumerate(chapter_starts):
            end = chapter_starts[i + 1][1] if i + 1 < len(chapter_starts) else total
            marks.append(ChapterMark(self.plan.chapters[chapter_index].title, start, end))
        return Timeline(self.sample_rate, placements, tuple(marks), total)


def build_timeline(
    plan: Plan,
    lengths: Sequence[int | Cut],
    sample_rate: int = PROGRAMME_RATE,
    *,
    chapter_grid: int = 0,
) -> Timeline:
    """Place each trimmed take and the pause after it (plan order).

    ``lengths`` gives each take as a sample count or, better, as its Cut: the kept margins then
    count towards the pause, so the silence from one voice to the next is exactly the pause.
    With ``chapter_grid`` (samples) every chapter after the first starts on a multiple of it
    (the pause before it moves by at most half a grid step).
    """
    if len(lengths) != len(plan.utterances):
        raise ValueError("one length per utterance is needed")
    builder = TimelineBuilder(plan, sample_rate, chapter_grid)
    for length in lengths:
        builder.place(length)
    return builder.finish()


def to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()


def stream_pcm(
    timeline: Timeline,
    takes: Iterable[np.ndarray],
    gain: Callable[[int], float] | None = None,
) -> Iterator[bytes]:
    """Yield the programme as 16-bit little-endian mono PCM, one take (and its pause) at a time.

    ``takes`` yields the trimmed samples of each utterance in plan order; ``gain(i)`` is an
    optional linear gain for take i (loudness levelling).
    """
    count = 0
    for i, (placement, samples) in enumerate(zip(timeline.placements, takes, strict=True)):
        if len(samples) != placement.end - placement.start:
            raise ValueError(f"take {placement.utterance_id} changed length after timing")
        factor = gain(i) if gain else 1.0
        yield to_pcm16(samples * factor if factor != 1.0 else samples)
        if placement.gap_after:
            yield bytes(2 * placement.gap_after)
        count += 1
    if count != len(timeline.placements):
        raise ValueError("fewer takes than placements")
