"""Where every take sits in the programme: the timeline, computed from the takes' cuts before any
audio is joined, so chapter and subtitle times are exact and the programme can be streamed take by
take (never held whole in memory)."""

from __future__ import annotations

from dataclasses import dataclass

from tts_pipeline.audio.trim import Cut
from tts_pipeline.text.segment import Plan

# Chapter starts are placed on this grid (a CD frame, 1/75 s) when the sample rate allows, so cue
# sheets (which count in CD frames) hold exactly the same chapter times as every other format.
CUE_FRAMES_PER_SECOND = 75


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

    @property
    def duration(self) -> float:
        return self.total / self.sample_rate

    def seconds(self, samples: int) -> float:
        return samples / self.sample_rate

    def ms(self, samples: int) -> int:
        """A sample position in whole milliseconds (how every container stores chapter times)."""
        return (samples * 1000 + self.sample_rate // 2) // self.sample_rate


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

    def __init__(self, plan: Plan, sample_rate: int, chapter_grid: int = 0) -> None:
        self.plan = plan
        self.sample_rate = sample_rate
        self.chapter_grid = chapter_grid
        self._utterances = plan.utterances
        self._cuts: list[Cut] = []
        self._starts: list[int] = []
        self._gaps: list[int] = []

    def place(self, cut: Cut) -> int:
        """Place the next take (where it was cut); returns the samples of silence that go before
        it."""
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
