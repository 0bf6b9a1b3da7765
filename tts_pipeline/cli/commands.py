"""The commands that read a speech or make sound besides ``render``: ``plan``, ``preview``,
``open``, and ``cache info``/``cache clear``. Each parses its options, calls the pipeline and
prints what came of it; the work is done elsewhere (imported when the command runs, so
``--help`` stays quick)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from tts_pipeline.cli.console import err, guarded, note, out, warn
from tts_pipeline.cli.options import (
    CacheDirOpt,
    ChaptersOpt,
    FillOpt,
    FixTyposOpt,
    InputArg,
    KeepAllOpt,
    LexiconOpt,
    OutputDirOpt,
    TitleOpt,
    VoiceOpt,
    VoiceSettings,
    fill_file,
    lexicon_files,
    with_voice_settings,
)


@with_voice_settings
def plan(
    source: InputArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    voice: VoiceOpt = None,
    fill: FillOpt = None,
    title: TitleOpt = None,
    keep_all: KeepAllOpt = False,
    lexicon: LexiconOpt = None,
    fix_typos: FixTyposOpt = False,
    chapters: ChaptersOpt = None,
    *,
    settings: VoiceSettings,
) -> None:
    """Show what will be spoken, without synthesizing: chapters, utterances, original and
    spoken text side by side (changes highlighted), pauses, placeholders, the lines that are not
    read aloud with the rule that removed each, the lexicon entries used and likely typos.

    Example: tts-pipeline plan speech.txt --json > plan.json

    Example: tts-pipeline plan saved-page.html

    Example: tts-pipeline plan speech.docx --keep-all

    Example: tts-pipeline plan speech.txt --fill event.toml

    Example: tts-pipeline plan speech.txt --lexicon names.toml --fix-typos

    Example: tts-pipeline plan speech.txt --voice yunyang --pause-paragraph 1.2

    Example: tts-pipeline plan speech.txt --chapters 2-4
    """

    def run() -> None:
        from tts_pipeline.cli.plan_view import print_plan
        from tts_pipeline.render import plan as plan_speech
        from tts_pipeline.text.normalize.fills import fill_warnings
        from tts_pipeline.text.respell import lexicon_warnings
        from tts_pipeline.text.selection import parse_chapter_spec, selection_warnings

        fills = fill_file(fill)
        profile = settings.profile(voice)
        selection = parse_chapter_spec(chapters) if chapters is not None else None
        the_plan = plan_speech(
            source,
            profile,
            fills,
            chapters=selection,
            lexicon=lexicon_files(lexicon),
            fix_typos=fix_typos,
            title=title,
            keep_all=keep_all,
        )
        warn(
            fill_warnings(fills, [u.text for u in the_plan.utterances])
            + lexicon_warnings(profile.engine, the_plan.lexicon)
        )
        warn(selection_warnings(the_plan, selection))
        note(the_plan.notes)
        if as_json:
            sys.stdout.write(json.dumps(the_plan.to_json(), ensure_ascii=False, indent=2) + "\n")
        else:
            print_plan(the_plan)

    guarded(run)


@with_voice_settings
def preview(
    text: Annotated[
        str | None,
        typer.Argument(
            help="What to say (default: the first paragraph of --input, else a built-in "
            "sentence in the voice's language).",
            show_default=False,
        ),
    ] = None,
    voice: VoiceOpt = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            help="Speak the first paragraph of this document (any format render reads, or - "
            "for standard input).",
            show_default=False,
        ),
    ] = None,
    output_dir: OutputDirOpt = Path("output"),
    play: Annotated[
        bool, typer.Option("--play", help="Play it (aplay, paplay, afplay, ffplay or mpv).")
    ] = False,
    lexicon: LexiconOpt = None,
    fix_typos: FixTyposOpt = False,
    *,
    settings: VoiceSettings,
) -> None:
    """Hear a voice before rendering: a short sample to output/preview-<voice>.wav.

    Example: tts-pipeline preview --voice yunyang --play

    Example: tts-pipeline preview --voice xiaomei --rate +10% --input speech.txt

    Example: tts-pipeline preview --voice espeak-en "Good morning, everyone."
    """

    def run() -> None:
        from tts_pipeline.cli.player import find_player, play_file, player_names
        from tts_pipeline.preview import preview as make_preview

        profile = settings.profile(voice)
        result = make_preview(
            profile,
            text=text,
            source=input_file,
            output_dir=output_dir,
            lexicon=lexicon_files(lexicon),
            fix_typos=fix_typos,
        )
        err.print(Text(f"{profile.name}: {result.text}", style="dim"), soft_wrap=True)
        out.print(f"preview: {result.path}")
        out.print(f"duration: {result.duration:.1f} s")
        if play:
            player = find_player()
            if player is None:
                err.print(
                    f"[yellow]no audio player found[/] (looked for {player_names()}); "
                    "open the file yourself",
                    soft_wrap=True,
                )
                return
            problem = play_file(result.path, player, result.duration)
            if problem:
                err.print(f"[yellow]{escape(problem)}[/]", soft_wrap=True)

    guarded(run)


def open_page(
    output: Annotated[
        Path,
        typer.Argument(
            help="The listening page (.html), the audio file or manifest of a render, or "
            "an output directory with one page.",
            show_default=False,
        ),
    ],
) -> None:
    """Open the listening page of a render in your web browser.

    Example: tts-pipeline open output/speech.m4b
    """

    def run() -> None:
        from tts_pipeline.outputs.page.find import open_page as open_in_browser

        out.print(open_in_browser(output), markup=False)

    guarded(run)


def cache_info(cache_dir: CacheDirOpt = None) -> None:
    """Where the take cache is, how many takes it holds and their size."""

    def run() -> None:
        from tts_pipeline.synthesis.cache import TakeCache

        info = TakeCache(cache_dir).info()
        out.print(f"location: {info.location}")
        out.print(f"entries:  {info.entries}")
        out.print(f"size:     {info.bytes / 1e6:.1f} MB")

    guarded(run)


def cache_clear(cache_dir: CacheDirOpt = None) -> None:
    """Remove every cached take (the next render synthesizes everything again)."""

    def run() -> None:
        from tts_pipeline.synthesis.cache import TakeCache

        removed = TakeCache(cache_dir).clear()
        out.print(f"removed {removed} takes")

    guarded(run)
