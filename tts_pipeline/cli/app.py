"""The ``tts-pipeline`` app: its commands, ``--version`` and the entry point."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from tts_pipeline.cli import check_command, commands, render_command
from tts_pipeline.cli.console import Terminated, out
from tts_pipeline.cli.lexicon_command import lexicon
from tts_pipeline.cli.voice_commands import voices_app
from tts_pipeline.heap import give_back_large_blocks

app = typer.Typer(
    name="tts-pipeline",
    help=(
        "Turn a written speech into a narrated, chaptered audio file.\n\n"
        "Examples:\n\n"
        "  tts-pipeline render speech.txt            # → output/speech.m4b (offline voice)\n\n"
        "  tts-pipeline plan speech.txt              # proofread what will be spoken\n\n"
        "  tts-pipeline voices                       # the voice presets; then: preview\n\n"
        "  tts-pipeline plan speech.txt --json       # the plan as JSON\n\n"
        "  tts-pipeline lexicon                      # how you want words said (--lexicon FILE)"
        "  tts-pipeline check output/speech.m4b      # proof-listen (the check extra)"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if not wanted:
        return
    from tts_pipeline import __version__
    from tts_pipeline.engines.registry import engine_versions

    out.print(f"tts-pipeline {__version__}", markup=False)
    for engine, version in engine_versions().items():
        out.print(f"{engine}: {version}", markup=False)
    raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version of tts-pipeline and of the voices' models and front end.",
        ),
    ] = False,
) -> None:
    """Turn a written speech into a narrated, chaptered audio file."""


app.command()(render_command.render)
app.command()(commands.plan)
app.add_typer(voices_app, name="voices")
app.command()(commands.preview)
app.command()(lexicon)
app.command("open")(commands.open_page)
app.command()(check_command.check)
cache_app = typer.Typer(help="Inspect or clear the take cache.", no_args_is_help=True)
cache_app.command("info")(commands.cache_info)
cache_app.command("clear")(commands.cache_clear)
app.add_typer(cache_app, name="cache")


def main() -> None:
    give_back_large_blocks()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    finally:
        # The command is over (done, failed or interrupted): a Ctrl-C now could only land in
        # the interpreter's shutdown, where nothing can report it cleanly (e.g. "Exception
        # ignored in: Interpreter.__del__ … KeyboardInterrupt" from a LiteRT interpreter).
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)
