"""Proof-listening's report: each utterance as heard (scored by ``scoring``), the flagging rule
(an utterance far worse than the programme's median is flagged "listen to this"), and the whole
programme worst first, as ``<stem>.check.json`` holds it."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tts_pipeline.outputs.check.scoring import Difference, align, cer, fold_text

REPORT_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Flagging


@dataclass(frozen=True)
class FlagRule:
    """An utterance is flagged when its CER is above max(``floor``, ``factor`` × median CER):
    far worse than this voice usually does on this programme, and bad in absolute terms."""

    floor: float = 0.3
    factor: float = 3.0

    def threshold(self, median: float) -> float:
        return max(self.floor, self.factor * median)


DEFAULT_RULE = FlagRule()


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class UtteranceCheck:
    """One utterance as heard: the folded texts, its score and its differences."""

    id: str
    start: float
    end: float
    text: str  # as written
    expected: str  # the spoken text, folded
    heard: str  # the transcript, folded
    transcript: str  # the recogniser's own words
    errors: int
    cer: float
    differences: tuple[Difference, ...]
    flagged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "cer": round(self.cer, 4),
            "errors": self.errors,
            "flagged": self.flagged,
            "text": self.text,
            "expected": self.expected,
            "heard": self.heard,
            "transcript": self.transcript,
            "differences": [d.to_json() for d in self.differences],
        }


@dataclass(frozen=True)
class CheckReport:
    """A programme's proof-listening: utterances worst first, the overall CER (all edits over
    all expected characters), the median utterance CER and the flagging threshold."""

    utterances: tuple[UtteranceCheck, ...]
    cer: float
    median_cer: float
    threshold: float
    rule: FlagRule = DEFAULT_RULE

    @property
    def flagged(self) -> tuple[UtteranceCheck, ...]:
        return tuple(u for u in self.utterances if u.flagged)

    def to_json(self) -> dict[str, Any]:
        return {
            "cer": round(self.cer, 4),
            "median_cer": round(self.median_cer, 4),
            "flag_rule": {"floor": self.rule.floor, "factor": self.rule.factor},
            "threshold": round(self.threshold, 4),
            "characters": sum(len(u.expected) for u in self.utterances),
            "errors": sum(u.errors for u in self.utterances),
            "flagged": [u.id for u in self.flagged],
            "utterances": [u.to_json() for u in self.utterances],
        }


@dataclass(frozen=True)
class Heard:
    """One utterance and what the recogniser made of it (the scoring's input)."""

    id: str
    start: float
    end: float
    text: str
    spoken: str
    transcript: str


def score(heard: Heard, language: str) -> UtteranceCheck:
    expected = fold_text(heard.spoken, language)
    said = fold_text(heard.transcript, language)
    alignment = align(expected, said)
    return UtteranceCheck(
        id=heard.id,
        start=heard.start,
        end=heard.end,
        text=heard.text,
        expected=expected,
        heard=said,
        transcript=heard.transcript,
        errors=alignment.errors,
        cer=cer(alignment.errors, len(expected)),
        differences=alignment.differences,
    )


@dataclass(frozen=True)
class ReportHeader:
    """What the report is about: the files of the render, its language and the recogniser."""

    audio: str  # file names, beside the report
    manifest: str
    language: str
    model: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": REPORT_VERSION,
            "audio": self.audio,
            "manifest": self.manifest,
            "language": self.language,
            "model": self.model,
        }


def build_report(checks: Sequence[UtteranceCheck], rule: FlagRule = DEFAULT_RULE) -> CheckReport:
    """Flag the utterances above the rule's threshold; sort worst first (ties in programme
    order). Utterances with nothing to say (empty expected text) do not count."""
    scored = [c for c in checks if c.expected]
    median = statistics.median(c.cer for c in scored) if scored else 0.0
    threshold = rule.threshold(median)
    flagged = [replace(c, flagged=bool(c.expected) and c.cer > threshold) for c in checks]
    order = {c.id: i for i, c in enumerate(checks)}
    flagged.sort(key=lambda c: (-c.cer, order[c.id]))
    total = sum(len(c.expected) for c in scored)
    errors = sum(c.errors for c in scored)
    return CheckReport(
        utterances=tuple(flagged),
        cer=errors / total if total else 0.0,
        median_cer=median,
        threshold=threshold,
        rule=rule,
    )
