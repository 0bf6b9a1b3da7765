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

app = typer.Typer(
    name="tts-pipeline",
    help=(
        "Turn a written speech into a narrated, chaptered audio file.\n\n"
        "Examples:\n\n"
        "  tts-pipeline render speech.txt            # → output/speech.m4b (offline voice)\n\n"
        "  tts-pipeline plan speech.txt              # proofread what will be spoken\n\n"
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
    typer.Option("--voice", "-v", help="Voice preset name or path to a voice .toml file."),
]


@app.command()
def render(
    source: InputArg,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where the audio and manifest go.")
    ] = Path("output"),
    voice: VoiceOpt = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=32, help="Utterances synthesized at once.")
    ] = 1,
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
) -> None:
    """Render SOURCE to a chaptered audio book (M4B) plus subtitles, chapters and a manifest.

    Example: tts-pipeline render speech.txt -o output/

    Example: tts-pipeline render speech.txt --format m4b --format mp3 --loudness -16
    """

    def run() -> None:
        from tts_pipeline.containers import parse_formats
        from tts_pipeline.loudness import parse_target
        from tts_pipeline.render import RenderSettings
        from tts_pipeline.render import render as do_render
        from tts_pipeline.voices import load_profile

        profile = load_profile(voice)
        settings = RenderSettings(
            voice=profile,
            output_dir=output_dir,
            jobs=jobs,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            formats=parse_formats(formats),
            loudness=parse_target(loudness),
            author=author,
            cover=cover,
        )
        with RichProgress(err) as progress:
            result = do_render(source, settings, progress=progress)
        err.print(
            f"[green]done[/] {result.duration / 60:.1f} min of audio, "
            f"{result.utterances} utterances ({result.synthesized} synthesized, "
            f"{result.reused} reused) in {result.wall_seconds:.1f} s"
        )
        for kind, path in result.outputs.items():
            out.print(f"{kind}: {path}")

    _guarded(run)


@app.command()
def plan(
    source: InputArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    voice: VoiceOpt = None,
) -> None:
    """Show what will be spoken, without synthesizing: chapters, utterances, original and
    spoken text side by side (changes highlighted), pauses, placeholders.

    Example: tts-pipeline plan speech.txt --json > plan.json
    """

    def run() -> None:
        from tts_pipeline.render import plan_document
        from tts_pipeline.voices import load_profile

        the_plan = plan_document(source, load_profile(voice))
        if as_json:
            sys.stdout.write(json.dumps(the_plan.to_json(), ensure_ascii=False, indent=2) + "\n")
        else:
            _print_plan(the_plan)

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
