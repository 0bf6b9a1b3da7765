"""The commands that read a speech or make sound: ``render``, ``plan``, ``preview``, ``open``, and
``cache info``/``cache clear``. Each parses its options, calls the pipeline and prints what came
of it; the work is done elsewhere (imported when the command runs, so ``--help`` stays quick)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from tts_pipeline.cli.console import err, guarded, note, one_line, out, warn
from tts_pipeline.cli.options import (
    AsrModelOpt,
    CacheDirOpt,
    ChaptersOpt,
    ChapterSoundOpt,
    FillOpt,
    FixTyposOpt,
    InputArg,
    IntroOpt,
    KeepAllOpt,
    LexiconOpt,
    MusicLevelOpt,
    MusicOpt,
    OutputDirOpt,
    OutroOpt,
    SplitOpt,
    TitleOpt,
    VoiceOpt,
    VoiceSettings,
    fill_file,
    lexicon_files,
    loudness_target,
    with_voice_settings,
)
from tts_pipeline.errors import SettingsError


@with_voice_settings
def render(
    source: InputArg,
    output_dir: OutputDirOpt = Path("output"),
    voice: VoiceOpt = None,
    fill: FillOpt = None,
    title: TitleOpt = None,
    keep_all: KeepAllOpt = False,
    lexicon: LexiconOpt = None,
    fix_typos: FixTyposOpt = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=32,
            help="Work done at once: requests in flight for edge voices (default 4), worker "
            "processes for offline voices (default: one per CPU core).",
            show_default=False,
        ),
    ] = None,
    cache_dir: CacheDirOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Synthesize everything; keep no takes.")
    ] = False,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Output format, repeatable: m4b (default), m4a, mp3, opus, flac, wav.",
            show_default=False,
        ),
    ] = None,
    loudness: Annotated[
        str,
        typer.Option("--loudness", help="Target loudness in LUFS (EBU R128), or 'off'."),
    ] = "-18",
    author: Annotated[
        str | None,
        typer.Option("--author", help="Artist/author tag (default: the voice's name)."),
    ] = None,
    cover: Annotated[
        Path | None,
        typer.Option("--cover", help="Cover art (JPEG or PNG) embedded where the format allows."),
    ] = None,
    fallback: Annotated[
        str | None,
        typer.Option(
            "--fallback",
            metavar="offline|PRESET",
            help="When the voice's engine fails (e.g. edge-tts unreachable), speak the "
            "utterances it could not deliver with this voice: 'offline' (the offline voice "
            "for the language) or a preset name.",
            show_default=False,
        ),
    ] = None,
    no_page: Annotated[
        bool,
        typer.Option(
            "--no-page",
            help="Write no listening page (<name>.html: audio, chapters and a transcript that "
            "follows the voice) and no waveform overview (<name>.png).",
        ),
    ] = False,
    chapters: ChaptersOpt = None,
    split: SplitOpt = None,
    intro: IntroOpt = None,
    outro: OutroOpt = None,
    chapter_sound: ChapterSoundOpt = None,
    music: MusicOpt = None,
    music_level: MusicLevelOpt = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Then proof-listen to the render (as `tts-pipeline check OUTPUT --page`; "
            "needs the check extra).",
        ),
    ] = False,
    asr_model: AsrModelOpt = None,
    *,
    settings: VoiceSettings,
) -> None:
    """Render SOURCE to a chaptered audio book (M4B) plus subtitles, chapters and a manifest.

    Example: tts-pipeline render speech.txt -o output/

    Example: tts-pipeline render speech.docx --title "开学典礼致辞"

    Example: cat speech.txt | tts-pipeline render -

    Example: tts-pipeline render speech.txt --format m4b --format mp3 --loudness -16

    Example: tts-pipeline render speech.txt --fill event.toml

    Example: tts-pipeline render speech.txt --lexicon names.toml --fix-typos

    Example: tts-pipeline render speech.txt --voice yunyang --rate +5% --fallback offline

    Example: tts-pipeline render speech.txt --voice zh-CN-XiaoxiaoNeural --jobs 2

    Example: tts-pipeline render speech.txt --chapters 2-4 --split chapters --split whole

    Example: tts-pipeline render speech.txt --intro intro.mp3 --outro outro.mp3
    --chapter-sound chime.wav --music bed.ogg --music-level -28

    Example: tts-pipeline render speech.txt --check    # then proof-listen to it
    """

    def run() -> None:
        from tts_pipeline.cli.check_command import proof_listen
        from tts_pipeline.cli.progress import RichProgress
        from tts_pipeline.production import parse_music_level
        from tts_pipeline.render import RenderSettings
        from tts_pipeline.render import render as render_speech
        from tts_pipeline.voices import fallback_profile

        if asr_model is not None and not check:
            raise SettingsError("--asr-model chooses proof-listening's recogniser: add --check")
        if check:
            from tts_pipeline.outputs.check.run import require_recogniser

            require_recogniser(asr_model)  # before the render, not after it
        profile = settings.profile(voice)
        production = profile.production.with_overrides(
            intro=intro,
            outro=outro,
            chapter_sound=chapter_sound,
            music=music,
            music_level=parse_music_level(music_level) if music_level is not None else None,
        )
        render_settings = RenderSettings(
            voice=profile,
            output_dir=output_dir,
            fills=fill_file(fill),
            lexicon=lexicon_files(lexicon),
            fix_typos=fix_typos,
            jobs=jobs,
            fallback=fallback_profile(fallback, profile) if fallback else None,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            formats=tuple(formats or ()),
            loudness=loudness_target(loudness),
            author=author,
            cover=cover,
            page=not no_page,
            title=title,
            keep_all=keep_all,
            chapters=chapters,
            split=tuple(split or ()),
            production=production,
        )
        with RichProgress(err) as progress:
            result = render_speech(source, render_settings, progress=progress)
        err.print(
            f"[green]done[/] {result.duration / 60:.1f} min of audio, "
            f"{result.utterances} utterances ({result.synthesized} synthesized, "
            f"{result.reused} reused) in {result.wall_seconds:.1f} s"
        )
        if result.fallback_ids:
            err.print(
                f"[yellow]fallback:[/] {len(result.fallback_ids)} utterance(s) spoken by "
                f"{escape(result.fallback_voice or '?')} instead of {escape(profile.name)} "
                f"({escape(one_line(result.fallback_reason or ''))}): "
                f"{', '.join(result.fallback_ids)}; run the same command again later to "
                f"replace them with {escape(profile.name)}",
                soft_wrap=True,
            )
        warn(result.warnings)
        note(result.notes)
        for kind, path in result.outputs.items():
            out.print(f"{kind}: {path}")
        if "page" in result.outputs:
            out.print(f"listen: {result.outputs['page'].resolve().as_uri()}", markup=False)
        if check:
            proof_listen(result.outputs["manifest"], asr_model, "page" in result.outputs)

    guarded(run)


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
