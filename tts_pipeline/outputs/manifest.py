"""The manifest (``<stem>.manifest.json``): everything a player, a proofreader or a later stage
needs to know about a render, as one typed object built once (``build_manifest``) and serialized
once (``Manifest.to_json``). Times are in seconds, rounded to the millisecond as every container
stores them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tts_pipeline.atomic import write_text_atomic
from tts_pipeline.audio.loudness.leveller import LoudnessPlan
from tts_pipeline.audio.timeline import Timeline
from tts_pipeline.outputs.programme import Programme
from tts_pipeline.outputs.subtitles import Cue
from tts_pipeline.outputs.tags import Tags, tag_items
from tts_pipeline.synthesis.fallback import FallbackUse
from tts_pipeline.text.chrome import RemovedLine
from tts_pipeline.text.respell import PlannedLexiconHit, PlannedTypo
from tts_pipeline.text.segment import Plan, PlannedPlaceholder
from tts_pipeline.voices import VoiceProfile

FORMAT_VERSION = 1
LOUDNESS_STANDARD = "ITU-R BS.1770-4 / EBU R128"


@dataclass(frozen=True)
class ManifestUtterance:
    """One utterance: where it is in the programme, what was written and said, who said it."""

    id: str
    chapter: int
    paragraph: int  # within its chapter (the pieces of a split paragraph share it); -1: title
    kind: str
    start: float  # its audio (voice and the kept margins)
    end: float
    pause_after: float
    text: str
    spoken: str
    engine: str
    voice: str
    voice_start: float  # the voice inside it
    voice_end: float
    gain_db: float | None  # the levelling gain applied (None: loudness was left alone)
    fallback: bool = False  # spoken by the fallback voice

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "chapter": self.chapter,
            "paragraph": self.paragraph,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "pause_after": self.pause_after,
            "text": self.text,
            "spoken": self.spoken,
            "engine": self.engine,
            "voice": self.voice,
            "voice_start": self.voice_start,
            "voice_end": self.voice_end,
        }
        if self.gain_db is not None:
            data["gain_db"] = self.gain_db
        if self.fallback:
            data["fallback"] = True
        return data


@dataclass(frozen=True)
class ManifestChapter:
    index: int
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class ManifestSound:
    """One of the user's sounds (issue 18): its kind, the file's name and SHA-256, the gain
    that levelled it (None: left as it was) and where it sits ((start, end) in seconds: each
    place a clip was put; the span the music bed plays under)."""

    kind: str
    file: str
    sha256: str
    gain_db: float | None
    placements: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ManifestChapterFile:
    """A chapter's own files (``--split chapters``): the chapter (its index, as in
    ``chapters``, and its number as ``plan`` shows it), where it is in the programme, and its
    files (audio format, srt, vtt → file name)."""

    chapter: int
    number: int
    title: str
    start: float
    end: float
    files: dict[str, str]


@dataclass(frozen=True)
class Production:
    """What the manifest says of the production controls, when any was used: the chapters
    chosen, the sounds, the music bed's level, the programme's measured loudness with them."""

    selected_chapters: tuple[int, ...] | None = None
    sounds: tuple[ManifestSound, ...] = ()
    music_level_lufs: float | None = None
    programme_lufs: float | None = None  # as written, the user's sounds in it
    chapter_files: tuple[ManifestChapterFile, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.selected_chapters is not None:
            data["selected_chapters"] = list(self.selected_chapters)
        if self.sounds:
            data["sounds"] = [asdict(s) for s in self.sounds]
            data["programme_lufs"] = self.programme_lufs
        if self.music_level_lufs is not None:
            data["music_level_lufs"] = self.music_level_lufs
        if self.chapter_files:
            data["chapter_files"] = [asdict(f) for f in self.chapter_files]
        return data


@dataclass(frozen=True)
class ManifestCue:
    """One subtitle cue: the written text shown from ``start`` to ``end``."""

    index: int
    utterance: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class LoudnessReport:
    target_lufs: float
    true_peak_ceiling_dbtp: float
    source_lufs: float | None  # as synthesized (None: silence)
    levelled_lufs: float | None  # after levelling, before the overall gain
    overall_gain_db: float
    limited_takes: int

    @classmethod
    def of(cls, plan: LoudnessPlan) -> LoudnessReport:
        return cls(
            target_lufs=plan.target,
            true_peak_ceiling_dbtp=plan.ceiling,
            source_lufs=_finite(plan.source),
            levelled_lufs=_finite(plan.levelled),
            overall_gain_db=round(plan.overall_db, 2),
            limited_takes=plan.limited_takes,
        )

    def to_json(self) -> dict[str, Any]:
        return {"standard": LOUDNESS_STANDARD, **asdict(self)}


@dataclass(frozen=True)
class Provenance:
    """What a render was made of: the input file's bytes and the settings that shaped its
    files (``outputs.freshness``), each as a SHA-256; a batch skips a document whose outputs
    are there and were made of the same."""

    input_sha256: str
    settings_sha256: str


@dataclass(frozen=True)
class Manifest:
    title: str
    language: str
    source: str  # the input file's name, or "stdin"
    duration: float
    sample_rate: int
    voice: VoiceProfile
    outputs: dict[str, str]  # kind → file name, every file the render wrote
    tags: Tags
    loudness: LoudnessReport | None
    chapters: tuple[ManifestChapter, ...]
    utterances: tuple[ManifestUtterance, ...]
    cues: tuple[ManifestCue, ...]
    removed: tuple[RemovedLine, ...]  # lines of the input not read aloud, each with its rule
    placeholders: tuple[PlannedPlaceholder, ...]
    fallback: FallbackUse | None = None
    lexicon: tuple[PlannedLexiconHit, ...] = ()  # the lexicon entries used, as plan shows them
    typos: tuple[PlannedTypo, ...] = ()  # the likely typos, as plan shows them, and if fixed
    lexicon_files: tuple[str, ...] = ()  # the names of the lexicon files read, in order
    production: Production = field(default_factory=Production)
    provenance: Provenance | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "title": self.title,
            "language": self.language,
            "source": self.source,
            "duration": self.duration,
            "sample_rate": self.sample_rate,
            "engine": self.voice.engine,
            "voice": self.voice.to_dict(),
            "outputs": dict(self.outputs),
            "tags": dict(tag_items(self.tags)),
            "loudness": self.loudness.to_json() if self.loudness is not None else None,
            "chapters": [asdict(c) for c in self.chapters],
            "utterances": [u.to_json() for u in self.utterances],
            "cues": [asdict(c) for c in self.cues],
            "removed": [asdict(line) for line in self.removed],
            "placeholders": [asdict(p) for p in self.placeholders],
            "lexicon": [h.to_json() for h in self.lexicon],
            "lexicon_files": list(self.lexicon_files),
            "typos": [{**t.to_json(), "fixed": t.fixed} for t in self.typos],
        }
        if self.provenance is not None:
            data.update(asdict(self.provenance))
        if self.fallback is not None:
            data["fallback"] = {
                "voice": self.fallback.voice.to_dict(),
                "reason": self.fallback.reason,
                "utterances": list(self.fallback.utterance_ids),
            }
        data.update(self.production.to_json())  # (only what was used: the shape stays)
        return data

    def write(self, path: Path) -> None:
        write_text_atomic(path, json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n")


def build_manifest(
    plan: Plan,
    programme: Programme,
    cues: Sequence[Cue],
    *,
    source: str,
    outputs: Mapping[str, str],
    voice: VoiceProfile,
    tags: Tags,
    fallback: FallbackUse | None = None,
    lexicon_files: Sequence[str] = (),
    chapter_files: Mapping[int, Mapping[str, str]] | None = None,
    provenance: Provenance | None = None,
) -> Manifest:
    """The render's manifest: the plan placed on the programme's timeline; ``chapter_files``:
    the files of each chapter (by document index) with ``--split chapters``."""
    timeline = programme.timeline
    placements = {p.utterance_id: p for p in timeline.placements}
    gains = programme.loudness.take_gains_db if programme.loudness is not None else None
    by_fallback = set(fallback.utterance_ids) if fallback is not None else set()
    utterances = []
    for i, u in enumerate(plan.utterances):
        p = placements[u.id]
        engine, take_voice = programme.sources[i]
        utterances.append(
            ManifestUtterance(
                id=u.id,
                chapter=u.chapter,
                paragraph=u.paragraph,
                kind=u.kind,
                start=_seconds(timeline, p.start),
                end=_seconds(timeline, p.end),
                pause_after=u.pause_after,
                text=u.text,
                spoken=u.spoken,
                engine=engine,
                voice=take_voice,
                voice_start=_seconds(timeline, p.voice_start),
                voice_end=_seconds(timeline, p.voice_end),
                gain_db=round(gains[i], 2) if gains is not None else None,
                fallback=u.id in by_fallback,
            )
        )
    return Manifest(
        title=plan.title,
        language=plan.language,
        source=source,
        duration=round(timeline.duration, 3),
        sample_rate=timeline.sample_rate,
        voice=voice,
        outputs=dict(outputs),
        tags=tags,
        loudness=LoudnessReport.of(programme.loudness) if programme.loudness else None,
        chapters=tuple(
            ManifestChapter(
                m.chapter if m.chapter >= 0 else i,
                m.title,
                _seconds(timeline, m.start),
                _seconds(timeline, m.end),
            )
            for i, m in enumerate(timeline.chapters)
        ),
        utterances=tuple(utterances),
        cues=tuple(
            ManifestCue(
                n, c.utterance_id, _seconds(timeline, c.start), _seconds(timeline, c.end), c.text
            )
            for n, c in enumerate(cues)
        ),
        removed=plan.removed,
        placeholders=plan.placeholders,
        fallback=fallback,
        lexicon=plan.lexicon,
        typos=plan.typos,
        lexicon_files=tuple(lexicon_files),
        provenance=provenance,
        production=_production(plan, programme, chapter_files or {}),
    )


def _production(
    plan: Plan, programme: Programme, chapter_files: Mapping[int, Mapping[str, str]]
) -> Production:
    timeline = programme.timeline
    sounds = []
    for kind, sound in programme.sounds.items():
        spans = tuple(
            (_seconds(timeline, c.start), _seconds(timeline, c.end))
            for c in timeline.clips
            if c.kind == kind
        )
        gain = round(sound.gain_db, 2) if sound.gain_db is not None else None
        sounds.append(ManifestSound(kind, sound.file, sound.sha256, gain, spans))
    marks = {m.chapter: m for m in timeline.chapters}
    files = tuple(
        ManifestChapterFile(
            chapter,
            chapter + 1,
            marks[chapter].title,
            _seconds(timeline, marks[chapter].start),
            _seconds(timeline, marks[chapter].end),
            dict(names),
        )
        for chapter, names in chapter_files.items()
    )
    music = programme.sounds.get("music")
    return Production(
        selected_chapters=plan.selected,
        sounds=tuple(sounds),
        music_level_lufs=round(music.loudness + music.gain_db, 2)
        if music is not None and music.gain_db is not None
        else None,
        programme_lufs=_finite(programme.measured_lufs)
        if programme.measured_lufs is not None
        else None,
        chapter_files=files,
    )


def _seconds(timeline: Timeline, samples: int) -> float:
    return timeline.ms(samples) / 1000


def _finite(value: float) -> float | None:
    return round(value, 2) if math.isfinite(value) else None
