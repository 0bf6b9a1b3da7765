"""Where every take sits in the programme: the timeline, computed from the takes' cuts before any
audio is joined, so chapter and subtitle times are exact and the programme can be streamed take by
take (never held whole in memory).

The user's clips (issue 18) are placed on it too: an intro at the start, a sound at the start of
every chapter, an outro at the end. Each is placed whole, as long as its file (padded to the
chapter grid), with no pause added around it: every time after a clip moves by exactly its
length. A music bed is mixed under the speech (``audio.music``), from the end of the intro to the
start of the outro; it ends with a tail of its own after the last utterance."""

from __future__ import annotations

from collections.abc import Mapping
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
    chapter: int = -1  # the document's chapter index (plan numbering - 1); -1: not known


@dataclass(frozen=True)
class ClipPlacement:
    """Where one of the user's sounds sits: a clip (intro, chapter_sound, outro) or the music
    bed (``music``: the span it is mixed under), in samples; ``chapter``: the document's chapter
    index it belongs to."""

    kind: str
    start: int
    end: int
    chapter: int


@dataclass(frozen=True)
class Segment:
    """A stretch the production writes, in order: ``silence``, a clip (its kind) or ``take``."""

    kind: str
    length: int
    chapter: int  # the document chapter it belongs to (a chapter's file gets it)


@dataclass(frozen=True)
class Timeline:
    sample_rate: int
    placements: tuple[Placement, ...]
    chapters: tuple[ChapterMark, ...]
    total: int  # samples
    clips: tuple[ClipPlacement, ...] = ()

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

    ``place(cut)`` returns the segments to write before that take and the take itself: the pause
    after the previous take depends on this take's kept lead (so voice-to-voice gaps equal the
    pause) and, at a chapter change, on the chapter grid; clips go where they belong.
    ``closing()`` returns the segments after the last take, ``finish()`` the Timeline. A
    streaming writer therefore never needs a take before it arrives.

    ``clips``: kind → length in samples of the clips to place (intro, chapter_sound, outro; each
    a whole number of grid steps, so the chapter grid and every later time move by exactly its
    length); ``tail``: samples of silence after the last utterance's pause (the music bed's
    fade-out), before the outro.
    """

    def __init__(
        self,
        plan: Plan,
        sample_rate: int,
        chapter_grid: int = 0,
        clips: Mapping[str, int] | None = None,
        tail: int = 0,
    ) -> None:
        self.plan = plan
        self.sample_rate = sample_rate
        self.chapter_grid = chapter_grid
        self.clips = dict(clips or {})
        self.tail = tail
        self._utterances = plan.utterances
        self._cuts: list[Cut] = []
        self._starts: list[int] = []
        self._gaps: list[int] = []
        self._chapter_starts: list[tuple[int, int]] = []  # (chapter index, start sample)
        self._placed: list[ClipPlacement] = []
        self._end: int | None = None

    def _clip(self, kind: str, at: int, chapter: int, segments: list[Segment]) -> int:
        """Place the clip ``kind`` (if given) at ``at``; the sample after it."""
        length = self.clips.get(kind, 0)
        if length:
            self._placed.append(ClipPlacement(kind, at, at + length, chapter))
            segments.append(Segment(kind, length, chapter))
        return at + length

    def place(self, cut: Cut) -> tuple[Segment, ...]:
        """Place the next take (where it was cut); returns what to write for it, in order: the
        silence and clips before it, then the take."""
        i = len(self._cuts)
        if i >= len(self._utterances):
            raise ValueError("more takes than utterances")
        chapter = self._utterances[i].chapter
        segments: list[Segment] = []
        cursor = 0
        if i:
            previous, previous_cut = self._utterances[i - 1], self._cuts[-1]
            previous_end = self._starts[-1] + previous_cut.length
            pause = round(previous.pause_after * self.sample_rate)
            before = max(0, pause - previous_cut.tail - cut.lead)
            cursor = previous_end + before
            grid = self.chapter_grid
            if grid and chapter != previous.chapter:
                aligned = round(cursor / grid) * grid
                if aligned < previous_end:
                    aligned += grid * -(-(previous_end - aligned) // grid)
                before = aligned - previous_end
                cursor = aligned
            self._gaps.append(before)
            if before:
                segments.append(Segment("silence", before, previous.chapter))
        else:
            cursor = self._clip("intro", 0, chapter, segments)
        if not self._chapter_starts or self._chapter_starts[-1][0] != chapter:
            # The first chapter starts at 0, so the title (and the intro) belong to it.
            self._chapter_starts.append((chapter, cursor if i else 0))
            cursor = self._clip("chapter_sound", cursor, chapter, segments)
        self._cuts.append(cut)
        self._starts.append(cursor)
        segments.append(Segment("take", cut.length, chapter))
        return tuple(segments)

    def closing_silence(self) -> int:
        """The pause after the last take (then the music's tail, then the outro)."""
        if not self._cuts:
            return 0
        return round(self._utterances[len(self._cuts) - 1].pause_after * self.sample_rate)

    def closing(self) -> tuple[Segment, ...]:
        """What to write after the last take: its pause, the music's tail, the outro."""
        if len(self._cuts) != len(self._utterances) or not self._cuts:
            raise ValueError("the closing comes after the last take")
        chapter = self._utterances[-1].chapter
        segments = [Segment("silence", n, chapter) for n in (self.closing_silence(), self.tail)]
        cursor = self._starts[-1] + self._cuts[-1].length + sum(s.length for s in segments)
        self._end = self._clip("outro", cursor, chapter, segments)
        return tuple(s for s in segments if s.length)

    def music_span(self) -> tuple[int, int | None]:
        """Where a music bed goes: from the end of the intro to the start of the outro (None:
        not known yet)."""
        start = self.clips.get("intro", 0) if self._cuts else 0
        if self._end is None:
            return start, None
        return start, self._end - self.clips.get("outro", 0)

    def finish(self) -> Timeline:
        utterances = self._utterances
        if len(self._cuts) != len(utterances):
            raise ValueError("one length per utterance is needed")
        if utterances and self._end is None:
            self.closing()
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
        total = self._end if placements and self._end is not None else 0
        chapter_starts = self._chapter_starts
        marks = []
        for i, (chapter_index, start) in enumerate(chapter_starts):
            end = chapter_starts[i + 1][1] if i + 1 < len(chapter_starts) else total
            title = self.plan.chapters[chapter_index].title
            marks.append(ChapterMark(title, start, end, chapter_index))
        placed = list(self._placed)
        bed_start, bed_end = self.music_span()
        if self.tail and bed_end is not None:  # (a tail is the music bed's)
            placed.append(ClipPlacement("music", bed_start, bed_end, chapter_starts[0][0]))
        return Timeline(self.sample_rate, placements, tuple(marks), total, tuple(placed))
