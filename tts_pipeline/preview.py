"""``tts-pipeline preview``: a short sample of a voice, written to a WAV file.

The sample is the text given, else the first paragraph of an input file, else a built-in
sentence in the voice's language (``data/preview_sentences.toml``). It goes through the same
stages as a render (normalization, synthesis with the take cache, trimming, loudness), so what
you hear is what a render with that voice sounds like.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path

from tts_pipeline.audio.loudness.leveller import DEFAULT_TARGET_LUFS
from tts_pipeline.engines.base import Engine
from tts_pipeline.engines.registry import default_jobs, engine_for
from tts_pipeline.errors import InputError
from tts_pipeline.outputs.layout import ensure_writable, preview_file
from tts_pipeline.outputs.programme import ProgrammeOptions, produce
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.run import synthesize_plan
from tts_pipeline.synthesis.store import TakeStore, stored_take
from tts_pipeline.text.document import Chapter, Document, load_document
from tts_pipeline.text.lexicon import Lexicon
from tts_pipeline.text.respell import Respelling
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.text.unspeakable import require_speech
from tts_pipeline.text.word_list import SegmenterWords
from tts_pipeline.voices import VoiceProfile

MAX_SAMPLE_CHARS = 300  # a preview is a sentence or two, not a chapter


@dataclass(frozen=True)
class PreviewResult:
    path: Path
    duration: float  # seconds
    text: str  # what was spoken (as written)
    voice: VoiceProfile


@cache
def _sentences() -> dict[str, str]:
    text = resources.files("tts_pipeline").joinpath("data/preview_sentences.toml").read_text()
    return tomllib.loads(text)


def builtin_sentence(language: str) -> str:
    sentences = _sentences()
    for key in (language, language.split("-")[0]):
        if key in sentences:
            return sentences[key]
    return sentences["en"]


def sample_text(voice: VoiceProfile, text: str | None = None, source: Path | None = None) -> str:
    """What the preview says: ``text``, else the first paragraph of ``source`` (after its
    title), else the built-in sentence for the voice's language."""
    if text is not None:
        sample = " ".join(text.split())
        if not sample:
            raise InputError("the preview text is empty")
    elif source is not None:
        document = load_document(source)
        paragraphs = [p for chapter in document.chapters for p in chapter.paragraphs]
        sample = paragraphs[0] if paragraphs else document.title
    else:
        sample = builtin_sentence(voice.language)
    if len(sample) > MAX_SAMPLE_CHARS:
        sample = _shorten(sample, MAX_SAMPLE_CHARS)
    return sample


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut after the last sentence end that fits if there is one."""
    head = text[:limit]
    ends = [m.end() for m in re.finditer(r"[。！？；!?;.]", head)]
    return head[: ends[-1]] if ends else head


def preview_plan(
    sample: str,
    voice: VoiceProfile,
    engine: Engine | None = None,
    respelling: Respelling | None = None,
) -> Plan:
    """A one-utterance plan (respelled and normalized like a render's), no pause after it."""
    document = Document(
        title=sample,
        chapters=(Chapter(title=voice.display_name, paragraphs=(), kind="opening"),),
        language=voice.language,
    )
    speaker = engine or engine_for(voice)
    plan = build_plan(
        document,
        voice.pauses,
        speakability=lambda text: speaker.speakability(text, voice),
        respelling=respelling or Respelling.for_engine(voice.engine),
    )
    chapters = tuple(
        replace(chapter, utterances=tuple(replace(u, pause_after=0.0) for u in chapter.utterances))
        for chapter in plan.chapters
    )
    return replace(plan, chapters=chapters)


def preview(
    voice: VoiceProfile,
    *,
    text: str | None = None,
    source: Path | None = None,
    output_dir: Path = Path("output"),
    engine: Engine | None = None,
    store: TakeStore | None = None,
    lexicon: Lexicon | None = None,
    fix_typos: bool = False,
) -> PreviewResult:
    """Synthesize the sample and write ``output_dir/preview-<voice>.wav`` (atomically); the
    sample is respelled with ``lexicon`` (and its typos fixed) as a render would."""
    sample = sample_text(voice, text, source)
    engine = engine or engine_for(voice)
    takes = store if store is not None else TakeCache()
    words = SegmenterWords(takes.words_dir) if isinstance(takes, TakeCache) else None
    respelling = Respelling.for_engine(voice.engine, lexicon, fix_typos, words)
    plan = preview_plan(sample, voice, engine, respelling)
    require_speech(plan, voice, "the preview text")
    engine.check(voice)
    ensure_writable(output_dir)
    if words is not None:
        words.keep()
    keys, _ = synthesize_plan(plan, engine, voice, takes, default_jobs(voice.engine))
    options = ProgrammeOptions(loudness=voice.loudness_target(DEFAULT_TARGET_LUFS))
    path = preview_file(output_dir, voice.name)
    tags = Tags(title=f"Preview: {voice.display_name}", artist=voice.display_name)
    programme = produce(plan, lambda i: stored_take(takes, keys[i]), {"wav": path}, tags, options)
    return PreviewResult(path, programme.timeline.duration, sample, voice)
