"""``tts-pipeline preview``: a short sample of a voice, written to a WAV file and optionally
played.

The sample is the text given, else the first paragraph of an input file, else a built-in
sentence in the voice's language (``data/preview_sentences.toml``). It goes through the same
stages as a render (normalization, synthesis with the take cache, trimming, loudness), so what
you hear is what a render with that voice sounds like.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path

from tts_pipeline import produce
from tts_pipeline.cache import TakeCache
from tts_pipeline.document import Chapter, Document, load_document
from tts_pipeline.engines import Engine, Take, default_jobs, engine_for
from tts_pipeline.errors import InputError
from tts_pipeline.export import Tags
from tts_pipeline.loudness import DEFAULT_TARGET_LUFS
from tts_pipeline.render import (
    TakeStore,
    effective_loudness,
    ensure_writable_dir,
    respelling_for,
    synthesize_plan,
)
from tts_pipeline.segment import Plan, build_plan
from tts_pipeline.text.lexicon import Lexicon
from tts_pipeline.voices import VoiceProfile

MAX_SAMPLE_CHARS = 300  # a preview is a sentence or two, not a chapter

# Audio players looked for on PATH, in this order, with the arguments that make them play one
# file and exit quietly.
PLAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("afplay", ()),
    ("paplay", ()),
    ("aplay", ("-q",)),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "error")),
    ("mpv", ("--no-video", "--really-quiet")),
)


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
    sample: str, voice: VoiceProfile, lexicon: Lexicon | None = None, fix_typos: bool = False
) -> Plan:
    """A one-utterance plan (respelled and normalized like a render's), no pause after it."""
    document = Document(
        title=sample,
        chapters=(Chapter(title=voice.display_name, paragraphs=(), kind="opening"),),
        language=voice.language,
    )
    plan = build_plan(document, voice.pauses, respelling=respelling_for(voice, lexicon, fix_typos))
    chapters = tuple(
        replace(chapter, utterances=tuple(replace(u, pause_after=0.0) for u in chapter.utterances))
        for chapter in plan.chapters
    )
    return replace(plan, chapters=chapters)


def preview_path(output_dir: Path, voice: VoiceProfile) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", voice.name).strip("-.") or "voice"
    return output_dir / f"preview-{safe}.wav"


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
    """Synthesize the sample and write ``output_dir/preview-<voice>.wav`` (atomically)."""
    sample = sample_text(voice, text, source)
    plan = preview_plan(sample, voice, lexicon, fix_typos)
    engine = engine or engine_for(voice)
    engine.check(voice)
    ensure_writable_dir(output_dir)
    takes = store if store is not None else TakeCache()
    keys, _ = synthesize_plan(plan, engine, voice, takes, default_jobs(voice.engine))

    def take_at(i: int) -> Take:
        take = takes.get(keys[i])
        assert take is not None  # synthesize_plan stored it
        return take

    options = produce.OutputOptions(
        formats=("wav",),
        loudness=effective_loudness(DEFAULT_TARGET_LUFS, voice),
        subtitles=False,
        cue_sheet=False,
    )
    path = preview_path(output_dir, voice)
    tags = Tags(title=f"Preview: {voice.display_name}", artist=voice.display_name)
    produced = produce.produce(plan, take_at, path.parent, path.stem, tags, options)
    return PreviewResult(path, produced.timeline.duration, sample, voice)


def find_player() -> list[str] | None:
    """The command that plays a file here (without the file), or None."""
    for name, args in PLAYERS:
        found = shutil.which(name)
        if found:
            return [found, *args]
    return None


def player_names() -> str:
    return ", ".join(name for name, _ in PLAYERS)


# A player gets this long beyond the clip's own length (a busy sound device can make one wait).
PLAYER_GRACE_SECONDS = 30.0


def play_file(path: Path, player: list[str], duration: float) -> str | None:
    """Play ``path`` (``duration`` seconds long) and wait; None if it played, else one line
    saying what went wrong."""
    limit = duration + PLAYER_GRACE_SECONDS
    try:
        result = subprocess.run(
            [*player, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=limit,
            check=False,
        )
    except OSError as exc:
        return f"{Path(player[0]).name} could not start: {exc.strerror or exc}"
    except subprocess.TimeoutExpired:
        return f"{Path(player[0]).name} was still playing after {limit:.0f} s; stopped it"
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {result.returncode}"
        return f"{Path(player[0]).name} could not play it: {detail}"
    return None
