"""Subtitles and chapter sidecars from the stitched timeline: SRT, WebVTT, WebVTT chapters and
Podcasting 2.0 JSON chapters.

One cue per sentence of the ORIGINAL text (long sentences split at clause marks into cues of at
most ~24 Chinese characters). Times come from the timeline: inside an utterance, from the
engine's boundaries when it reported them (seconds from the untrimmed take start), otherwise
proportionally to the SPOKEN text's characters, mapped back to the original by alignment.
"""

from __future__ import annotations

import bisect
import difflib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tts_pipeline.audio.timeline import Placement, Timeline
from tts_pipeline.engines.base import Boundary
from tts_pipeline.text.segment import Plan, Utterance

CUE_MAX_CHARS = 24  # in Chinese characters; other characters count as half
SENTENCE_ENDS = frozenset("。！？；!?;…")
CLAUSE_MARKS = frozenset("，、,：:")
CLOSERS = frozenset("”’」』》）)]\"'")
# Weights of spoken characters when no boundaries are known: a Chinese syllable is 1; a Latin
# letter or digit about a third of one; punctuation stands for the pause a narrator makes.
WEIGHT_WIDE = 1.0
WEIGHT_NARROW = 0.35
WEIGHT_SPACE = 0.1
WEIGHT_SENTENCE_PAUSE = 1.5
WEIGHT_CLAUSE_PAUSE = 0.8
CHAPTERS_JSON_VERSION = "1.2.0"


@dataclass(frozen=True)
class Cue:
    """One subtitle: ORIGINAL text shown from ``start`` to ``end`` (programme samples)."""

    start: int
    end: int
    text: str
    utterance_id: str


# ---------------------------------------------------------------------------------------------
# Splitting the written text into cue texts


def char_width(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def text_width(text: str) -> float:
    return sum(char_width(ch) for ch in text)


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence; the end mark and closing quotes stay with it."""
    spans: list[tuple[int, int]] = []
    start = i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        ascii_stop = ch == "." and (i == len(text) or text[i].isspace())
        if ch in SENTENCE_ENDS or ascii_stop:
            while i < len(text) and (text[i] in SENTENCE_ENDS or text[i] in CLOSERS):
                i += 1
            spans.append((start, i))
            start = i
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    a = start
    for i in range(start, end):
        if text[i] in CLAUSE_MARKS:
            spans.append((a, i + 1))
            a = i + 1
    if a < end:
        spans.append((a, end))
    return spans


def _hard_split(text: str, start: int, end: int, limit: float) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    a, width = start, 0.0
    for i in range(start, end):
        w = char_width(text[i])
        if width + w > limit and i > a:
            spans.append((a, i))
            a, width = i, 0.0
        width += w
    spans.append((a, end))
    return spans


def cue_spans(text: str, max_chars: float = CUE_MAX_CHARS) -> list[tuple[int, int]]:
    """Where the cues of ``text`` begin and end: sentences (at 。！？；), long sentences split at
    ，、 and packed up to ``max_chars``; a clause longer than that is cut at the limit. Spans
    without words (stray punctuation) join the cue before them; whitespace is trimmed."""
    pieces: list[tuple[int, int]] = []
    for s, e in _sentence_spans(text):
        if text_width(text[s:e]) <= max_chars:
            pieces.append((s, e))
            continue
        packed: list[tuple[int, int]] = []
        for cs, ce in _clause_spans(text, s, e):
            for hs, he in _hard_split(text, cs, ce, max_chars):
                if packed and text_width(text[packed[-1][0] : he]) <= max_chars:
                    packed[-1] = (packed[-1][0], he)
                else:
                    packed.append((hs, he))
        pieces.extend(packed)
    merged: list[tuple[int, int]] = []
    for s, e in pieces:
        if merged and not _has_words(text[s:e]):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    spans = []
    for s, e in merged:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((s, e))
    return spans


# ---------------------------------------------------------------------------------------------
# Timing


def align(original: str, spoken: str) -> list[int]:
    """For each position 0..len(original) in the written text, the matching position in the
    spoken text (unchanged stretches map one to one, rewritten ones proportionally)."""
    mapping = [0] * (len(original) + 1)
    matcher = difflib.SequenceMatcher(None, original, spoken, autojunk=False)
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            mapping[i] = j1 + round((i - i1) * (j2 - j1) / (i2 - i1))
    mapping[len(original)] = len(spoken)
    return mapping


def _weights(spoken: str) -> list[float]:
    """Duration weight of each spoken character (no pause weight at the very end)."""
    weights = []
    for ch in spoken:
        if ch in SENTENCE_ENDS:
            weights.append(WEIGHT_SENTENCE_PAUSE)
        elif ch in CLAUSE_MARKS:
            weights.append(WEIGHT_CLAUSE_PAUSE)
        elif ch.isspace():
            weights.append(WEIGHT_SPACE)
        elif ch.isalnum():
            weights.append(WEIGHT_WIDE if char_width(ch) == 1.0 else WEIGHT_NARROW)
        else:
            weights.append(0.0)
    end = len(weights)
    while end and not spoken[end - 1].isalnum():
        end -= 1
    for i in range(end, len(weights)):
        weights[i] = 0.0
    return weights


@dataclass(frozen=True)
class _Clock:
    """Piecewise-linear map from a position in the spoken text to a programme sample."""

    positions: tuple[int, ...]
    samples: tuple[int, ...]
    cumulative: tuple[float, ...]  # weight of spoken[:i]

    def _between(self, pos: int, left: int, right: int) -> int:
        p0, p1 = self.positions[left], self.positions[right]
        t0, t1 = self.samples[left], self.samples[right]
        w0, w1 = self.cumulative[p0], self.cumulative[p1]
        if w1 <= w0:
            return t0
        return round(t0 + (self.cumulative[pos] - w0) / (w1 - w0) * (t1 - t0))

    def start(self, pos: int) -> int:
        """When the speech at ``pos`` begins (after any pause an anchor ends there)."""
        i = bisect.bisect_right(self.positions, pos) - 1
        if self.positions[i] == pos or i + 1 >= len(self.positions):
            return self.samples[i]
        return self._between(pos, i, i + 1)

    def end(self, pos: int) -> int:
        """When the speech before ``pos`` ends (before any pause an anchor starts there)."""
        j = bisect.bisect_left(self.positions, pos)
        if j >= len(self.positions):
            return self.samples[-1]
        if self.positions[j] == pos or j == 0:
            return self.samples[j]
        return self._between(pos, j - 1, j)


def _clock(spoken: str, placement: Placement, boundaries: Sequence[Boundary], rate: int) -> _Clock:
    anchors = [(0, placement.voice_start)]
    cursor = 0
    take_zero = placement.start - placement.offset  # where the untrimmed take would begin
    for b in boundaries:
        needle = b.text.strip()
        found = spoken.find(needle, cursor) if needle else -1
        if found < 0:
            continue
        start = take_zero + round(b.start * rate)
        end = take_zero + round(b.end * rate)
        anchors.append((found, start))
        anchors.append((found + len(needle), end))
        cursor = found + len(needle)
    anchors.append((len(spoken), placement.voice_end))
    # Keep anchors inside the voice and in order (a bad boundary must not run time backwards).
    clean: list[tuple[int, int]] = []
    for pos, sample in sorted(anchors):
        sample = min(max(sample, placement.voice_start), placement.voice_end)
        if clean and sample < clean[-1][1]:
            continue
        clean.append((pos, sample))
    weights = _weights(spoken)
    cumulative = [0.0]
    for w in weights:
        cumulative.append(cumulative[-1] + w)
    return _Clock(
        positions=tuple(p for p, _ in clean),
        samples=tuple(s for _, s in clean),
        cumulative=tuple(cumulative),
    )


def _spoken_end(text: str, s: int, e: int) -> int:
    """The end of a cue's words (before its closing punctuation)."""
    while e > s and not text[e - 1].isalnum():
        e -= 1
    return e


def utterance_cues(
    utterance: Utterance,
    placement: Placement,
    boundaries: Sequence[Boundary],
    rate: int,
    max_chars: float = CUE_MAX_CHARS,
) -> list[Cue]:
    if placement.voice_end <= placement.voice_start:
        return []  # nothing audible
    spans = cue_spans(utterance.text, max_chars)
    mapping = align(utterance.text, utterance.spoken)
    clock = _clock(utterance.spoken, placement, boundaries, rate)
    cues = []
    for k, (s, e) in enumerate(spans):
        start = placement.voice_start if k == 0 else clock.start(mapping[s])
        last = k == len(spans) - 1
        end = placement.voice_end if last else clock.end(mapping[_spoken_end(utterance.text, s, e)])
        cues.append(Cue(start, max(end, start), utterance.text[s:e], utterance.id))
    return cues


def build_cues(
    plan: Plan,
    timeline: Timeline,
    boundaries: Mapping[str, Sequence[Boundary]] | None = None,
    max_chars: float = CUE_MAX_CHARS,
) -> list[Cue]:
    """Every cue of the programme, in order, none overlapping the next."""
    boundaries = boundaries or {}
    placements = {p.utterance_id: p for p in timeline.placements}
    cues: list[Cue] = []
    for u in plan.utterances:
        cues.extend(
            utterance_cues(
                u, placements[u.id], boundaries.get(u.id, ()), timeline.sample_rate, max_chars
            )
        )
    for i in range(len(cues) - 1):
        if cues[i].end > cues[i + 1].start:
            c = cues[i]
            cues[i] = Cue(c.start, max(c.start, cues[i + 1].start), c.text, c.utterance_id)
    return cues


# ---------------------------------------------------------------------------------------------
# Files


def _clock_text(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _one_paragraph(text: str) -> str:
    """Cue payloads end at a blank line: keep line breaks, never an empty line."""
    return "\n".join(line for line in text.splitlines() if line.strip()) or " "


def vtt_escape(text: str) -> str:
    """WebVTT cue text: & < > as character references (so "-->" cannot appear either)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _one_paragraph(escaped)


def to_srt(cues: Sequence[Cue], timeline: Timeline) -> str:
    blocks = []
    for n, cue in enumerate(cues, start=1):
        start = _clock_text(timeline.ms(cue.start), ",")
        end = _clock_text(timeline.ms(cue.end), ",")
        blocks.append(f"{n}\n{start} --> {end}\n{_one_paragraph(cue.text)}\n")
    return "\n".join(blocks)


def _vtt(entries: Sequence[tuple[str, int, int, str]], timeline: Timeline) -> str:
    blocks = ["WEBVTT\n"]
    for ident, start, end, text in entries:
        a = _clock_text(timeline.ms(start), ".")
        b = _clock_text(timeline.ms(end), ".")
        blocks.append(f"{ident}\n{a} --> {b}\n{vtt_escape(text)}\n")
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue], timeline: Timeline) -> str:
    return _vtt([(str(n), c.start, c.end, c.text) for n, c in enumerate(cues, 1)], timeline)


def chapters_vtt(timeline: Timeline) -> str:
    """WebVTT chapters track (<track kind="chapters">)."""
    entries = [
        (f"chapter-{n}", m.start, m.end, m.title) for n, m in enumerate(timeline.chapters, 1)
    ]
    return _vtt(entries, timeline)


def chapters_json(timeline: Timeline, title: str) -> str:
    """Podcasting 2.0 JSON chapters (podcast:chapters)."""
    data = {
        "version": CHAPTERS_JSON_VERSION,
        "title": title,
        "chapters": [
            {
                "startTime": timeline.ms(m.start) / 1000,
                "endTime": timeline.ms(m.end) / 1000,
                "title": m.title,
            }
            for m in timeline.chapters
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
