"""Options shared by several commands, each declared once.

The seven voice settings (rate, pitch, volume and the four pauses) come as one ``VoiceSettings``
to every command decorated with ``with_voice_settings``; the other shared options are
``Annotated`` types used as parameter annotations.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from tts_pipeline.errors import SettingsError
from tts_pipeline.text.lexicon import Lexicon, load_lexicons
from tts_pipeline.text.normalize.fills import FillMap, load_fills
from tts_pipeline.voices import VoiceProfile

InputArg = Annotated[
    Path,
    typer.Argument(
        help="The speech: a .txt or .md file (UTF-8, UTF-16 or GB18030), a Word .docx, a saved "
        "web page (.html, .htm), or - to read standard input (cat speech.txt | tts-pipeline "
        "render -). Page chrome copied with it (menus, source lines, share text) is removed.",
        show_default=False,
    ),
]
TitleOpt = Annotated[
    str | None,
    typer.Option(
        "--title",
        metavar="TEXT",
        help="The speech's title, spoken first (default: the line that looks like one; with "
        "none, the file name names the files and no title is spoken).",
        show_default=False,
    ),
]
KeepAllOpt = Annotated[
    bool,
    typer.Option(
        "--keep-all",
        help="Read every line: no page chrome removed, no repeated title dropped.",
    ),
]
SourcesArg = Annotated[
    list[Path],
    typer.Argument(
        help="The speech: a .txt or .md file (UTF-8, UTF-16 or GB18030), a Word .docx, a saved "
        "web page (.html, .htm), or - to read standard input; or, for a batch, several files, "
        "folders (their documents of those kinds, subfolders too) and patterns "
        "('lectures/*.docx', 'archive/**/*.md'). Page chrome copied with it is removed.",
        show_default=False,
    ),
]
OutputDirOpt = Annotated[
    Path, typer.Option("--output-dir", "-o", help="Where the files go (created if need be).")
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Where synthesized takes are kept (default: the user cache directory, "
        "or $TTS_PIPELINE_CACHE_DIR).",
        show_default=False,
    ),
]
VoiceOpt = Annotated[
    str | None,
    typer.Option(
        "--voice",
        "-v",
        help="Voice: a preset name (list them with `tts-pipeline voices`), an edge-tts voice "
        "short name such as zh-CN-YunyangNeural, or a .toml file. Default: xiaomei (offline).",
        show_default=False,
    ),
]
FillOpt = Annotated[
    Path | None,
    typer.Option(
        "--fill",
        metavar="FILE",
        help='Fill-ins for the template\'s placeholders, a TOML file: "20xx年" = "2024年", '
        '"XX中学" = "石家庄市第一中学", or by position "XX人" = ["520人", "30人"].',
        show_default=False,
    ),
]

LexiconOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--lexicon",
        metavar="FILE",
        help="How words are said, a TOML file (repeatable, a later file wins; your user lexicon "
        'is read first, see `tts-pipeline lexicon`): "GTP" = "GDP", '
        '"单县" = { pinyin = "shan4 xian4", spoken = "善县" }.',
        show_default=False,
    ),
]
FixTyposOpt = Annotated[
    bool,
    typer.Option(
        "--fix-typos",
        help="Say the suggestions of the proofreading (near misses of set phrases, e.g. "
        "隆庆祝 → 隆重庆祝) instead of the typos; without it they are only listed.",
    ),
]
ChaptersOpt = Annotated[
    str | None,
    typer.Option(
        "--chapters",
        metavar="SPEC",
        help="Only these chapters, by their number as `tts-pipeline plan` shows them: 3, 2-4, "
        "1,3,7 or 5- (5 to the last). Chapter 1 holds the title.",
        show_default=False,
    ),
]
SplitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--split",
        metavar="whole|chapters",
        help="What to write, repeatable: whole (the programme in one file, the default) or "
        "chapters (one file per chapter, <name>-NN-<title>.<ext>, with its subtitles and an "
        ".m3u8 playlist); --split chapters --split whole writes both.",
        show_default=False,
    ),
]


def _sound(name: str, help: str) -> Any:
    return Annotated[Path | None, typer.Option(name, metavar="FILE", help=help, show_default=False)]


# The user's sounds (any format ffmpeg reads; each replaces the voice preset's [production]).
IntroOpt = _sound("--intro", "Audio to play before the speech (mp3, wav, m4a, ogg, flac, …).")
OutroOpt = _sound("--outro", "Audio to play after the speech.")
ChapterSoundOpt = _sound("--chapter-sound", "A short sound at the start of every chapter.")
MusicOpt = _sound(
    "--music", "A music bed under the speech: looped, ducked while the voice speaks, faded."
)
MusicLevelOpt = Annotated[
    str | None,
    typer.Option(
        "--music-level",
        metavar="LUFS",
        help="Loudness of the music bed between utterances (default -26; under the voice it "
        "goes 18 dB under the speech).",
        show_default=False,
    ),
]
AsrModelOpt = Annotated[
    str | None,
    typer.Option(
        "--asr-model",
        metavar="NAME|DIR",
        help="Proof-listening's speech recogniser: a local CTranslate2 Whisper model folder, or "
        "a faster-whisper model name such as small (downloaded by faster-whisper). Default: "
        "the Whisper base model installed with the check extra (offline).",
        show_default=False,
    ),
]


def _setting(name: str, metavar: str, help: str) -> Any:
    return Annotated[str | None, typer.Option(name, metavar=metavar, help=help, show_default=False)]


# Voice settings on top of the preset (each replaces the preset's value): parameter → option.
VOICE_SETTINGS: dict[str, Any] = {
    "rate": _setting("--rate", "±N%", "Speaking rate, e.g. +10% (faster) or -5%."),
    "pitch": _setting("--pitch", "±NHz", "Pitch shift, e.g. +20Hz or -10Hz."),
    "volume": _setting("--volume", "±N%", "Volume, e.g. -20% (quieter) or +10%."),
    "pause_title": _setting("--pause-title", "SECONDS", "Seconds of silence after the title."),
    "pause_sentence": _setting(
        "--pause-sentence", "SECONDS", "Seconds between the pieces of a split paragraph."
    ),
    "pause_paragraph": _setting("--pause-paragraph", "SECONDS", "Seconds between paragraphs."),
    "pause_chapter": _setting("--pause-chapter", "SECONDS", "Seconds between chapters."),
}


@dataclass(frozen=True)
class VoiceSettings:
    """The voice settings given on the command line (None: the preset's value)."""

    rate: str | None = None
    pitch: str | None = None
    volume: str | None = None
    pause_title: str | None = None
    pause_sentence: str | None = None
    pause_paragraph: str | None = None
    pause_chapter: str | None = None

    def pauses(self) -> dict[str, str]:
        """The pauses given, by kind (title, sentence, paragraph, chapter)."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            name.removeprefix("pause_"): value
            for name, value in given.items()
            if name.startswith("pause_") and value is not None
        }

    def profile(self, voice: str | None) -> VoiceProfile:
        """The preset (or file, or edge voice) ``voice`` with these settings on top."""
        return VoiceProfile.load(voice).with_settings(
            rate=self.rate, pitch=self.pitch, volume=self.volume, pauses=self.pauses()
        )


def with_voice_settings(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the seven voice options; it receives them as ``settings: VoiceSettings``.

    typer reads a command's options from its signature, so the wrapper's signature is the
    command's without ``settings`` and with one keyword parameter per voice option."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != "settings"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option)
        for name, option in VOICE_SETTINGS.items()
    ]

    @functools.wraps(command)
    def wrapper(**options: Any) -> None:
        given = {name: options.pop(name) for name in VOICE_SETTINGS}
        command(settings=VoiceSettings(**given), **options)

    # inspect.signature (which typer asks) takes __signature__ over the wrapped function's.
    vars(wrapper)["__signature__"] = signature.replace(parameters=[*kept, *added])
    return wrapper


def loudness_target(text: str) -> float | None:
    """``--loudness``: a number of LUFS (-16, "-23 LUFS") or "off" (None). The range is checked
    with the other render settings."""
    value = text.strip().lower().removesuffix("lufs").strip()
    if value in ("off", "none", "no"):
        return None
    try:
        return float(value)
    except ValueError:
        raise SettingsError(
            f"--loudness must be a number of LUFS like -16, or off (got {text!r})"
        ) from None


def fill_file(path: Path | None) -> FillMap | None:
    """The fill-ins of ``--fill FILE``, or None."""
    return load_fills(path) if path is not None else None


def lexicon_files(paths: list[Path] | None) -> Lexicon:
    """The user lexicon, then the ``--lexicon FILE`` files in order, read and checked."""
    return load_lexicons(paths or [])
