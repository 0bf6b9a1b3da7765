"""The `tts-pipeline` command line. Thin: it parses options, wires stages, and draws progress."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from tts_pipeline.errors import PipelineError
from tts_pipeline.segment import Plan
from tts_pipeline.voices import VoiceProfile

app = typer.Typer(
    name="tts-pipeline",
    help=(
        "Turn a written speech into a narrated, chaptered audio file.\n\n"
        "Examples:\n\n"
        "  tts-pipeline render speech.txt            # → output/speech.m4b (offline voice)\n\n"
        "  tts-pipeline plan speech.txt              # proofread what will be spoken\n\n"
        "  tts-pipeline voices                       # the voice presets; then: preview\n\n"
        "  tts-pipeline plan speech.txt --json       # the plan as JSON"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

T = TypeVar("T")


def _guarded(action: Callable[[], T]) -> T:
    """Run a command body; a user's mistake ends in one line on stderr and an exit code."""
    try:
        return action()
    except PipelineError as exc:
        err.print(f"[bold red]error:[/] {escape(_one_line(str(exc)))}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print(
            "[yellow]interrupted.[/] Finished takes are kept; run the same command to continue."
        )
        raise typer.Exit(130) from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


InputArg = Annotated[
    Path,
    typer.Argument(
        help="The speech as a text file (UTF-8, UTF-16 or GB18030).", show_default=False
    ),
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
# Voice settings on top of the preset (each replaces the preset's value).
RateOpt = Annotated[
    str | None,
    typer.Option(
        "--rate",
        metavar="±N%",
        help="Speaking rate, e.g. +10% (faster) or -5%.",
        show_default=False,
    ),
]
PitchOpt = Annotated[
    str | None,
    typer.Option(
        "--pitch", metavar="±NHz", help="Pitch shift, e.g. +20Hz or -10Hz.", show_default=False
    ),
]
VolumeOpt = Annotated[
    str | None,
    typer.Option(
        "--volume", metavar="±N%", help="Volume, e.g. -20% (quieter) or +10%.", show_default=False
    ),
]
PauseTitleOpt = Annotated[
    str | None,
    typer.Option(
        "--pause-title",
        metavar="SECONDS",
        help="Seconds of silence after the title.",
        show_default=False,
    ),
]
PauseSentenceOpt = Annotated[
    str | None,
    typer.Option(
        "--pause-sentence",
        metavar="SECONDS",
        help="Seconds between the pieces of a split paragraph.",
        show_default=False,
    ),
]
PauseParagraphOpt = Annotated[
    str | None,
    typer.Option(
        "--pause-paragraph",
        metavar="SECONDS",
        help="Seconds between paragraphs.",
        show_default=False,
    ),
]
PauseChapterOpt = Annotated[
    str | None,
    typer.Option(
        "--pause-chapter", metavar="SECONDS", help="Seconds between chapters.", show_default=False
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
JobsOpt = Annotated[
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
]


def _fills(path: Path | None) -> object | None:
    if path is None:
        return None
    from tts_pipeline.normalize import load_fills

    return load_fills(path)


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def _voice_profile(
    voice: str | None,
    rate: str | None = None,
    pitch: str | None = None,
    volume: str | None = None,
    pauses: dict[str, str | None] | None = None,
) -> VoiceProfile:
    """The preset (or file, or edge voice) with the command line's settings on top."""
    from tts_pipeline.voices import apply_overrides, load_profile

    settings = {k: v for k, v in (pauses or {}).items() if v is not None}
    return apply_overrides(
        load_profile(voice), rate=rate, pitch=pitch, volume=volume, pauses=dict(settings)
    )


@app.command()
def render(
    source: InputArg,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where the audio and manifest go.")
    ] = Path("output"),
    voice: VoiceOpt = None,
    fill: FillOpt = None,
    jobs: JobsOpt = None,
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
    rate: RateOpt = None,
    pitch: PitchOpt = None,
    volume: VolumeOpt = None,
    pause_title: PauseTitleOpt = None,
    pause_sentence: PauseSentenceOpt = None,
    pause_paragraph: PauseParagraphOpt = None,
    pause_chapter: PauseChapterOpt = None,
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
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Then proof-listen to the render (as `tts-pipeline check OUTPUT --page`; "
            "needs the check extra).",
        ),
    ] = False,
) -> None:
    """Render SOURCE to a chaptered audio book (M4B) plus subtitles, chapters and a manifest.

    Example: tts-pipeline render speech.txt -o output/

    Example: tts-pipeline render speech.txt --format m4b --format mp3 --loudness -16

    Example: tts-pipeline render speech.txt --fill event.toml

    Example: tts-pipeline render speech.txt --voice yunyang --rate +5% --fallback offline

    Example: tts-pipeline render speech.txt --voice zh-CN-XiaoxiaoNeural --jobs 2

    Example: tts-pipeline render speech.txt --check    # then proof-listen to it
    """

    def run() -> None:
        from tts_pipeline.containers import parse_formats
        from tts_pipeline.loudness import parse_target
        from tts_pipeline.render import RenderSettings
        from tts_pipeline.render import render as do_render
        from tts_pipeline.voices import fallback_profile

        profile = _voice_profile(
            voice,
            rate,
            pitch,
            volume,
            {
                "title": pause_title,
                "sentence": pause_sentence,
                "paragraph": pause_paragraph,
                "chapter": pause_chapter,
            },
        )
        settings = RenderSettings(
            voice=profile,
            output_dir=output_dir,
            fills=_fills(fill),
            jobs=jobs,
            fallback=fallback_profile(fallback, profile) if fallback else None,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            formats=parse_formats(formats),
            loudness=parse_target(loudness),
            author=author,
            cover=cover,
            page=not no_page,
        )
        with RichProgress(err) as progress:
            result = do_render(source, settings, progress=progress)
        err.print(
            f"[green]done[/] {result.duration / 60:.1f} min of audio, "
            f"{result.utterances} utterances ({result.synthesized} synthesized, "
            f"{result.reused} reused) in {result.wall_seconds:.1f} s"
        )
        if result.fallback_ids:
            err.print(
                f"[yellow]fallback:[/] {len(result.fallback_ids)} utterance(s) spoken by "
                f"{escape(result.fallback_voice or '?')} instead of {escape(profile.name)} "
                f"({escape(_one_line(result.fallback_reason or ''))}): "
                f"{', '.join(result.fallback_ids)}; run the same command again later to "
                f"replace them with {escape(profile.name)}",
                soft_wrap=True,
            )
        _warn(result.warnings)
        for kind, path in result.outputs.items():
            out.print(f"{kind}: {path}")
        if "page" in result.outputs:
            out.print(f"listen: {result.outputs['page'].resolve().as_uri()}", markup=False)
        if check:
            _proof_listen(result.outputs["manifest"], None, "page" in result.outputs)

    _guarded(run)


@app.command("check")
def check_render(
    output: Annotated[
        Path,
        typer.Argument(
            help="A render's audio file, manifest or listening page (or its output directory).",
            show_default=False,
        ),
    ],
    asr_model: Annotated[
        str | None,
        typer.Option(
            "--asr-model",
            metavar="NAME|DIR",
            help="Speech recogniser: a local CTranslate2 Whisper model folder, or a "
            "faster-whisper model name such as small (downloaded by faster-whisper). Default: "
            "the Whisper base model installed with the check extra (offline).",
            show_default=False,
        ),
    ] = None,
    mark_page: Annotated[
        bool,
        typer.Option("--page", help="Mark the flagged sentences on the listening page."),
    ] = False,
) -> None:
    """Proof-listen to a render: a speech recogniser transcribes every utterance, and each is
    scored against the spoken text (character error rate, differences, worst first). Utterances
    far worse than the rest are flagged "listen to this". Writes <name>.check.json.

    Needs the check extra: pip install 'tts-pipeline\\[check]' (in the repository: uv sync
    --group quality).

    Example: tts-pipeline check output/speech.m4b

    Example: tts-pipeline check output/speech.m4b --page     # flags on the listening page

    Example: tts-pipeline check output/speech.m4b --asr-model ~/models/whisper-small-ct2
    """
    _guarded(lambda: _proof_listen(output, asr_model, mark_page))


def _proof_listen(output: Path, asr_model: str | None, mark_page: bool) -> None:
    from tts_pipeline.outputs.check import check_render as do_check

    with RichProgress(err) as progress:
        result = do_check(output, asr_model, page=mark_page, progress=progress)
    report = result.report
    err.print(
        f"[green]checked[/] {result.audio_seconds / 60:.1f} min of audio, "
        f"{len(report.utterances)} utterances in {result.transcribe_seconds:.1f} s "
        f"({escape(result.model)}): CER {report.cer:.3f}, median {report.median_cer:.3f}, "
        f"{len(report.flagged)} flagged (CER above {report.threshold:.2f})"
    )
    for u in report.utterances[:10]:
        mark = "[bold red]listen[/] " if u.flagged else ""
        diffs = ", ".join(f"{d.expected or '∅'}→{d.heard or '∅'}" for d in u.differences[:6])
        out.print(f"  {mark}{u.id}  CER {u.cer:.2f}  {escape(diffs)}", soft_wrap=True)
    out.print(f"check: {result.files.report}", markup=False)
    if result.page_marked and result.files.page is not None:
        out.print(f"listen: {result.files.page.resolve().as_uri()}", markup=False)


@app.command()
def plan(
    source: InputArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    voice: VoiceOpt = None,
    fill: FillOpt = None,
    rate: RateOpt = None,
    pitch: PitchOpt = None,
    volume: VolumeOpt = None,
    pause_title: PauseTitleOpt = None,
    pause_sentence: PauseSentenceOpt = None,
    pause_paragraph: PauseParagraphOpt = None,
    pause_chapter: PauseChapterOpt = None,
) -> None:
    """Show what will be spoken, without synthesizing: chapters, utterances, original and
    spoken text side by side (changes highlighted), pauses, placeholders.

    Example: tts-pipeline plan speech.txt --json > plan.json

    Example: tts-pipeline plan speech.txt --fill event.toml

    Example: tts-pipeline plan speech.txt --voice yunyang --pause-paragraph 1.2
    """

    def run() -> None:
        from tts_pipeline.render import fill_warnings, plan_document

        pauses = {
            "title": pause_title,
            "sentence": pause_sentence,
            "paragraph": pause_paragraph,
            "chapter": pause_chapter,
        }
        profile = _voice_profile(voice, rate, pitch, volume, pauses)
        fills = _fills(fill)
        the_plan = plan_document(source, profile, fills)
        _warn(fill_warnings(fills, the_plan))
        if as_json:
            sys.stdout.write(json.dumps(the_plan.to_json(), ensure_ascii=False, indent=2) + "\n")
        else:
            _print_plan(the_plan)

    _guarded(run)


voices_app = typer.Typer(
    help="List the voice presets or the edge-tts voices; show one preset's settings.\n\n"
    "Examples:\n\n"
    "  tts-pipeline voices                          # presets (name, engine, voice, settings)\n\n"
    "  tts-pipeline voices --engine edge --locale zh-CN --gender Female\n\n"
    "  tts-pipeline voices show yunyang --rate +10%  # effective settings, as TOML",
)
app.add_typer(voices_app, name="voices")


@voices_app.callback(invoke_without_command=True)
def voices(
    ctx: typer.Context,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="'edge': the edge-tts service's voices (live, or the shipped list when the "
            "service cannot be reached); another engine name: only its presets.",
            show_default=False,
        ),
    ] = None,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale", help="Edge voices of this locale, e.g. zh-CN or zh.", show_default=False
        ),
    ] = None,
    gender: Annotated[
        str | None,
        typer.Option(
            "--gender", help="Edge voices of this gender: Female or Male.", show_default=False
        ),
    ] = None,
) -> None:
    """List the voice presets (or, with --engine edge / --locale / --gender, edge voices).

    Example: tts-pipeline voices --locale zh-CN --gender Male
    """
    if ctx.invoked_subcommand is not None:
        return

    def run() -> None:
        from tts_pipeline.engines import ENGINE_NAMES
        from tts_pipeline.errors import SettingsError

        if engine is not None and engine not in ENGINE_NAMES:
            raise SettingsError(f"unknown engine {engine!r}; engines: {', '.join(ENGINE_NAMES)}")
        if engine == "edge" or ((locale or gender) and engine is None):
            _print_edge_voices(locale, gender)
        elif locale or gender:
            raise SettingsError("--locale and --gender filter edge voices: add --engine edge")
        else:
            _print_presets(engine)

    _guarded(run)


@voices_app.command("show")
def voices_show(
    name: Annotated[str, typer.Argument(help="Preset name, edge voice short name or .toml file.")],
    rate: RateOpt = None,
    pitch: PitchOpt = None,
    volume: VolumeOpt = None,
    pause_title: PauseTitleOpt = None,
    pause_sentence: PauseSentenceOpt = None,
    pause_paragraph: PauseParagraphOpt = None,
    pause_chapter: PauseChapterOpt = None,
) -> None:
    """Print one voice's effective settings as TOML (options apply on top, as in render).

    Save the output in the user preset folder to make it a preset of your own.

    Example: tts-pipeline voices show yunyang --rate +10% > my-yunyang.toml
    """

    def run() -> None:
        from tts_pipeline.voices import profile_toml

        pauses = {
            "title": pause_title,
            "sentence": pause_sentence,
            "paragraph": pause_paragraph,
            "chapter": pause_chapter,
        }
        profile = _voice_profile(name, rate, pitch, volume, pauses)
        sys.stdout.write(profile_toml(profile))

    _guarded(run)


def _print_presets(engine: str | None) -> None:
    from rich import box
    from rich.table import Table

    from tts_pipeline.voices import DEFAULT_VOICE, list_presets, user_presets_dir

    table = Table(
        title="Voice presets",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("voice", overflow="fold", min_width=20)
    table.add_column("lang", no_wrap=True)
    table.add_column("rate pitch vol", no_wrap=True)
    table.add_column("pauses t s p c", no_wrap=True)
    for entry in list_presets():
        profile = entry.profile
        if engine is not None and (profile is None or profile.engine != engine):
            continue
        name = entry.name + ("*" if entry.name == DEFAULT_VOICE else "")
        if entry.source == "user":
            name += " (user)"
        if profile is None:
            table.add_row(name, "", Text(entry.error or "", style="red"), "", "", "")
            continue
        voice_cell = Text(profile.voice)
        about = profile.description or profile.display_name
        if entry.shadowed:
            about += " (replaced by a user preset)"
        voice_cell.append("\n" + about, style="dim")
        p = profile.pauses
        table.add_row(
            name,
            profile.engine,
            voice_cell,
            profile.language,
            f"{profile.rate} {profile.pitch} {profile.volume}",
            f"{p.title:g} {p.sentence:g} {p.paragraph:g} {p.chapter:g}",
        )
    out.print(table)
    out.print(
        f"* the default. Pauses in seconds after the title, a sentence, a paragraph, a chapter. "
        f"Your own presets go in {user_presets_dir()} (searched first). Any edge voice works "
        "by its short name: tts-pipeline voices --engine edge"
    )


def _print_edge_voices(locale: str | None, gender: str | None) -> None:
    from rich.table import Table

    from tts_pipeline.engines import get_engine
    from tts_pipeline.engines.edge_voices import LIVE, snapshot_source

    edge = get_engine("edge")
    voices, source = edge.list_voices(locale, gender)  # type: ignore[attr-defined]
    if source == LIVE:
        heading = "edge-tts voices (live from the service)"
    else:
        heading = (
            "edge-tts voices (shipped snapshot, the service could not be reached; "
            f"{snapshot_source().split(':')[0]})"
        )
    table = Table(title=heading, title_justify="left")
    table.add_column("voice", style="bold", no_wrap=True)
    table.add_column("locale", no_wrap=True)
    table.add_column("gender", no_wrap=True)
    table.add_column("suited to", overflow="fold")
    for v in voices:
        tag = v.get("VoiceTag") or {}
        suited = ", ".join([*tag.get("ContentCategories", []), *tag.get("VoicePersonalities", [])])
        table.add_row(v.get("ShortName", ""), v.get("Locale", ""), v.get("Gender", ""), suited)
    out.print(table)
    example = voices[0].get("ShortName", "") if voices else "zh-CN-YunyangNeural"
    out.print(f"{len(voices)} voice(s). Use one by its name: --voice {example}")


@app.command()
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
            "--input", "-i", help="Speak the first paragraph of this text file.", show_default=False
        ),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where the preview file goes.")
    ] = Path("output"),
    play: Annotated[
        bool, typer.Option("--play", help="Play it (aplay, paplay, afplay, ffplay or mpv).")
    ] = False,
    rate: RateOpt = None,
    pitch: PitchOpt = None,
    volume: VolumeOpt = None,
    pause_title: PauseTitleOpt = None,
    pause_sentence: PauseSentenceOpt = None,
    pause_paragraph: PauseParagraphOpt = None,
    pause_chapter: PauseChapterOpt = None,
) -> None:
    """Hear a voice before rendering: a short sample to output/preview-<voice>.wav.

    Example: tts-pipeline preview --voice yunyang --play

    Example: tts-pipeline preview --voice xiaomei --rate +10% --input speech.txt

    Example: tts-pipeline preview --voice espeak-en "Good morning, everyone."
    """

    def run() -> None:
        from tts_pipeline.preview import find_player, play_file, player_names
        from tts_pipeline.preview import preview as make_preview

        pauses = {
            "title": pause_title,
            "sentence": pause_sentence,
            "paragraph": pause_paragraph,
            "chapter": pause_chapter,
        }
        profile = _voice_profile(voice, rate, pitch, volume, pauses)
        result = make_preview(profile, text=text, source=input_file, output_dir=output_dir)
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

    _guarded(run)


@app.command("open")
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
        from tts_pipeline.page import open_page as open_in_browser

        out.print(open_in_browser(output), markup=False)

    _guarded(run)


cache_app = typer.Typer(help="Inspect or clear the take cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def cache_info(cache_dir: CacheDirOpt = None) -> None:
    """Where the take cache is, how many takes it holds and their size."""

    def run() -> None:
        from tts_pipeline.cache import TakeCache

        info = TakeCache(cache_dir).info()
        out.print(f"location: {info.location}")
        out.print(f"entries:  {info.entries}")
        out.print(f"size:     {info.bytes / 1e6:.1f} MB")

    _guarded(run)


@cache_app.command("clear")
def cache_clear(cache_dir: CacheDirOpt = None) -> None:
    """Remove every cached take (the next render synthesizes everything again)."""

    def run() -> None:
        from tts_pipeline.cache import TakeCache

        removed = TakeCache(cache_dir).clear()
        out.print(f"removed {removed} takes")

    _guarded(run)


def _print_plan(the_plan: Plan) -> None:
    out.print(Text(the_plan.title, style="bold"))
    for number, chapter in enumerate(the_plan.chapters, 1):
        out.print()
        out.print(Text(f"Chapter {number}: {chapter.title}", style="bold cyan"))
        for u in chapter.utterances:
            out.print(Text(f"  {u.id}  pause {u.pause_after:.1f}s", style="dim"))
            written, spoken = _diff_texts(u.text, u.spoken)
            out.print(Text("    written: ", style="dim") + written)
            out.print(Text("    spoken:  ", style="dim") + spoken)
    if the_plan.placeholders:
        out.print()
        out.print(Text("Placeholders (fill them with --fill FILE):", style="bold yellow"))
        for p in the_plan.placeholders:
            out.print(f"  {p.utterance}  {p.text} → {p.spoken}")
    if the_plan.removed:
        out.print()
        out.print(Text("Removed (not read aloud):", style="bold"))
        for line in the_plan.removed:
            out.print(Text(f"  {line}", style="dim strike"))


def _diff_texts(written: str, spoken: str) -> tuple[Text, Text]:
    """Both texts with the parts that differ highlighted."""
    a, b = Text(), Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, written, spoken).get_opcodes():
        style = "" if op == "equal" else "bold yellow"
        a.append(written[i1:i2], style=style)
        b.append(spoken[j1:j2], style="" if op == "equal" else "bold green")
    return a, b


class RichProgress:
    """Draws the render's progress: an utterances bar with ETA, then the later stages.

    The live display starts with synthesis, so an early error prints only its one line.
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("utterances"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: Any = None

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._progress.stop()

    def stage(self, name: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, description=name)

    def start(self, total: int, done: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("Synthesizing", total=total, completed=done)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)


def main() -> None:
    app()
