"""How to render (``RenderSettings``, every value checked when it is made) and what a render did
(``RenderResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tts_pipeline.audio.loudness.leveller import (
    DEFAULT_TARGET_LUFS,
    DEFAULT_TRUE_PEAK_DBTP,
    check_target,
)
from tts_pipeline.outputs.containers import DEFAULT_FORMATS, parse_formats
from tts_pipeline.outputs.cover import Cover, load_cover
from tts_pipeline.outputs.layout import parse_splits
from tts_pipeline.production import ProductionSettings
from tts_pipeline.text.lexicon import Lexicon
from tts_pipeline.text.normalize.fills import Fills
from tts_pipeline.text.selection import ChapterSelection, parse_chapter_spec
from tts_pipeline.voices import VoiceProfile, load_profile


@dataclass(frozen=True)
class RenderSettings:
    """How to render. Every value is checked here, so a bad one fails before any synthesis."""

    voice: VoiceProfile = field(default_factory=lambda: load_profile(None))
    output_dir: Path = Path("output")
    jobs: int | None = None  # None: the engine's default (engines.registry.default_jobs)
    fills: Fills | None = None  # values for the template's placeholders
    cache_dir: Path | None = None  # None: the user cache folder (or $TTS_PIPELINE_CACHE_DIR)
    use_cache: bool = True
    # Format names, or comma-separated lists of them (as --format takes them).
    formats: tuple[str, ...] = DEFAULT_FORMATS
    loudness: float | None = DEFAULT_TARGET_LUFS  # LUFS; None: no normalization
    true_peak: float = DEFAULT_TRUE_PEAK_DBTP  # dBTP ceiling
    author: str | None = None  # default: the voice's display name
    cover: Path | None = None  # JPEG/PNG cover art
    date: str | None = None  # date tag; default: today (ISO)
    subtitles: bool = True  # .srt, .vtt, .chapters.vtt, .chapters.json
    page: bool = True  # <stem>.html listening page and <stem>.png waveform overview
    # Voice for the utterances the engine cannot deliver (--fallback); None: stop instead.
    fallback: VoiceProfile | None = None
    lexicon: Lexicon | None = None  # how words are said (text.lexicon.load_lexicons reads it)
    fix_typos: bool = False  # say the proofreading's suggestions instead of the typos
    title: str | None = None  # the speech's title instead of the one found (--title)
    keep_all: bool = False  # read every line: no page chrome removed (--keep-all)
    chapters: str | None = None  # --chapters SPEC: only these chapters (3, 2-4, 1,3,7)
    # What to write: "whole" (the programme), "chapters" (one file per chapter), or both.
    split: tuple[str, ...] = ("whole",)
    # The user's sounds (intro, outro, chapter sound, music bed); None: the voice preset's.
    production: ProductionSettings | None = None
    cover_image: Cover | None = field(default=None, init=False, repr=False)
    chapter_selection: ChapterSelection | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", parse_formats(self.formats))
        object.__setattr__(self, "split", parse_splits(self.split))
        if self.chapters is not None:
            object.__setattr__(self, "chapter_selection", parse_chapter_spec(self.chapters))
        if self.loudness is not None:
            object.__setattr__(self, "loudness", check_target(self.loudness))
        if self.cover is not None:
            object.__setattr__(self, "cover_image", load_cover(self.cover))

    @property
    def lexicon_files(self) -> tuple[str, ...]:
        """The names of the lexicon files read, in order (the manifest lists them)."""
        return tuple(p.name for p in self.lexicon.sources) if self.lexicon is not None else ()


@dataclass(frozen=True)
class RenderResult:
    outputs: dict[str, Path]  # kind → file, every file written
    duration: float  # seconds of audio
    utterances: int
    synthesized: int
    reused: int
    synthesis_seconds: float
    wall_seconds: float
    characters: int
    timings: dict[str, float] = field(default_factory=dict)
    jobs: int = 1
    fallback_voice: str | None = None  # the fallback preset, if any utterance needed it
    fallback_ids: tuple[str, ...] = ()  # utterances spoken by the fallback voice
    fallback_reason: str | None = None  # why the engine could not deliver them
    warnings: tuple[str, ...] = ()  # things the user should know (unused fill-in keys, …)
    notes: tuple[str, ...] = ()  # what the document's reader skipped, where the title is from
