"""Before synthesis: a document read and planned (``plan``), the voices checked
(``check_voices``), and everything its files will be made of and where they go settled
(``prepare``): what a render, a batch and a Ray task start from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from pathlib import Path

from tts_pipeline.audio.clips import Sound, prepare_sounds
from tts_pipeline.audio.timeline import cue_grid
from tts_pipeline.engines.base import Engine
from tts_pipeline.engines.registry import engine_for
from tts_pipeline.errors import EngineUnavailable, PipelineError
from tts_pipeline.outputs.chapter_files import ChapterFile
from tts_pipeline.outputs.freshness import input_sha256, settings_sha256, up_to_date
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.outputs.manifest import Provenance
from tts_pipeline.outputs.programme import PROGRAMME_RATE, ProgrammeOptions
from tts_pipeline.outputs.sidecars import Sidecars
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.settings import RenderSettings
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.store import MemoryStore, TakeStore
from tts_pipeline.text.document import load_document
from tts_pipeline.text.lexicon import Lexicon
from tts_pipeline.text.normalize.fills import Fills, fill_warnings
from tts_pipeline.text.respell import Respelling, lexicon_warnings, typo_warnings
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.text.selection import (
    ChapterSelection,
    parse_chapter_spec,
    select_chapters,
    selection_warnings,
)
from tts_pipeline.text.unspeakable import require_speech, unspeakable_warnings
from tts_pipeline.text.word_list import SegmenterWords
from tts_pipeline.user_files import display_name, is_stdin
from tts_pipeline.voices import VoiceProfile, load_profile


def plan(
    source: Path | str,
    voice: VoiceProfile | None = None,
    fills: Fills | None = None,
    engine: Engine | None = None,
    chapters: ChapterSelection | str | None = None,
    *,
    lexicon: Lexicon | None = None,
    fix_typos: bool = False,
    cache_dir: Path | None = None,
    title: str | None = None,
    keep_all: bool = False,
) -> Plan:
    """What will be spoken, without synthesizing: the document (any supported format, ``-`` for
    standard input) read and cleaned of page chrome, its title (``title`` replaces the one found)
    and chapters, its utterances with the spoken text and the pause after each, what of them the
    voice cannot say (its engine, or ``engine``, tells), the ``lexicon`` entries used and the
    likely typos (said as suggested with ``fix_typos``). ``keep_all``: remove no line.
    ``chapters`` (a ``--chapters`` SPEC) keeps only those chapters' utterances. Proofreading
    reads the word list a render kept in the take cache (``cache_dir``, default: the user's),
    else makes it; a plan writes nothing."""
    voice = voice or load_profile(None)
    words = SegmenterWords(TakeCache(cache_dir).words_dir)
    respelling = Respelling.for_engine(voice.engine, lexicon, fix_typos, words)
    speaker = engine or engine_for(voice)
    return _plan(Path(source), voice, fills, speaker, respelling, chapters, title, keep_all)


def _plan(
    source: Path,
    voice: VoiceProfile,
    fills: Fills | None,
    engine: Engine,
    respelling: Respelling,
    chapters: ChapterSelection | str | None,
    title: str | None,
    keep_all: bool,
) -> Plan:
    whole = build_plan(
        load_document(source, title=title, keep_all=keep_all),
        voice.pauses,
        fills,
        speakability=lambda text: engine.speakability(text, voice),
        respelling=respelling,
    )
    if chapters is None:
        return whole
    selection = parse_chapter_spec(chapters) if isinstance(chapters, str) else chapters
    return select_chapters(whole, selection)


@dataclass(frozen=True)
class VoiceCheck:
    """What checking the voices before synthesis found: the fallback voice and its engine (if
    any), and why the voice's own engine cannot be reached (then the fallback speaks all)."""

    fallback: tuple[Engine, VoiceProfile] | None = None
    unreachable: PipelineError | None = None


def check_voices(settings: RenderSettings, engine: Engine) -> VoiceCheck:
    """Check the voice (and the fallback voice) before any synthesis: once for a render, once
    for a whole batch."""
    fallback = (engine_for(settings.fallback), settings.fallback) if settings.fallback else None
    unreachable: PipelineError | None = None
    try:
        engine.check(settings.voice)
    except EngineUnavailable as exc:
        if fallback is None:
            raise
        unreachable = exc  # the fallback voice speaks everything not cached yet
    if fallback is not None:
        fallback[0].check(fallback[1])
    return VoiceCheck(fallback, unreachable)


@dataclass(frozen=True)
class PreparedDocument:
    """A document read and planned, with everything its files will be made of: what a render
    needs besides the takes (and what a Ray task gets: it pickles)."""

    source: Path
    speech: Plan
    layout: OutputLayout
    tags: Tags
    options: ProgrammeOptions
    formats: tuple[str, ...]
    sidecars: Sidecars
    voice: VoiceProfile
    provenance: Provenance | None
    targets: dict[str, Path]  # the whole programme's audio files (none with --split chapters)
    chapter_files: dict[int, ChapterFile]  # each chapter's files (--split chapters)
    sounds: dict[str, Sound]  # the production's sounds, levelled
    lexicon_files: tuple[str, ...] = ()  # the names of the lexicon files read (the manifest's)
    warnings: tuple[str, ...] = ()  # what the plan's reader should know

    @property
    def characters(self) -> int:
        """Spoken characters (what characters per second count)."""
        return sum(len(u.spoken) for u in self.speech.utterances)

    @property
    def expected(self) -> dict[str, Path]:
        """The files its render writes that tell whether they are all there."""
        files = self.layout.expected(
            tuple(self.targets), self.sidecars.subtitles and bool(self.targets), self.sidecars.page
        )
        for chapter in self.chapter_files.values():
            files.update({f"{f}:{chapter.number:02d}": p for f, p in chapter.audio.items()})
        return files

    def up_to_date(self) -> bool:
        if self.provenance is None:
            return False
        return up_to_date(self.expected, self.layout.manifest, self.provenance)


def prepare(
    source: Path,
    settings: RenderSettings,
    engine: Engine,
    layout: OutputLayout | None = None,
    *,
    store: TakeStore | None = None,
    words: SegmenterWords | None = None,
) -> PreparedDocument:
    """Read and plan ``source`` (one line of error if there is nothing to say) and settle what
    its files will be made of and where they go (``layout``; by default named after the source,
    or the title for standard input). ``store`` keeps the production's sounds as levelled
    (default: memory), ``words`` is the segmenter's word list proofreading asks."""
    voice = settings.voice
    respelling = Respelling.for_engine(voice.engine, settings.lexicon, settings.fix_typos, words)
    speech = _plan(
        source,
        voice,
        settings.fills,
        engine,
        respelling,
        settings.chapter_selection,
        settings.title,
        settings.keep_all,
    )
    require_speech(speech, voice, display_name(source))
    tags = Tags(
        title=speech.title,
        artist=settings.author or voice.display_name,
        date=settings.date or "",
        language=speech.language,
        comment="Narrated with tts-pipeline",
    )
    options = ProgrammeOptions(
        loudness=voice.loudness_target(settings.loudness),
        true_peak=settings.true_peak,
        cover=settings.cover_image,
        overview=settings.page,
    )
    sounds = prepare_sounds(
        settings.production or voice.production,
        store if store is not None else MemoryStore(),
        rate=PROGRAMME_RATE,
        target=options.loudness,
        ceiling=options.true_peak,
        grid=cue_grid(PROGRAMME_RATE),
    )
    fallback = (
        engine_for(settings.fallback).identity(settings.fallback) if settings.fallback else None
    )
    # Standard input is read once and never batched: nothing to compare a later run with.
    provenance = (
        None
        if is_stdin(source)
        else Provenance(
            input_sha256(source),
            settings_sha256(speech, engine.identity(voice), fallback, options, tags, sounds),
        )
    )
    layout = layout or OutputLayout.for_source(settings.output_dir, source, speech.title)
    return PreparedDocument(
        source=source,
        speech=speech,
        layout=layout,
        tags=replace(tags, date=settings.date or datetime.date.today().isoformat()),
        options=options,
        formats=settings.formats,
        sidecars=Sidecars(subtitles=settings.subtitles, page=settings.page),
        voice=voice,
        provenance=provenance,
        targets=layout.audio(settings.formats) if "whole" in settings.split else {},
        chapter_files=chapter_files(layout, speech, settings.formats)
        if "chapters" in settings.split
        else {},
        sounds=sounds,
        lexicon_files=settings.lexicon_files,
        warnings=fill_warnings(settings.fills, [u.text for u in speech.utterances])
        + unspeakable_warnings(speech, voice)
        + lexicon_warnings(voice.engine, speech.lexicon)
        + typo_warnings(speech.typos)
        + selection_warnings(speech, settings.chapter_selection),
    )


def chapter_files(
    layout: OutputLayout, speech: Plan, formats: tuple[str, ...]
) -> dict[int, ChapterFile]:
    """The audio files of each chapter rendered (``--split chapters``), by document index."""
    total = len(speech.chapters)
    return {
        index: ChapterFile(
            index,
            index + 1,
            total,
            chapter.title,
            layout.chapter_audio(formats, index + 1, total, chapter.title),
        )
        for index, chapter in enumerate(speech.chapters)
        if chapter.utterances
    }
