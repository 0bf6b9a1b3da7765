"""Where the commands write: results on stdout, progress, warnings and errors on stderr; a user's
mistake ends in one line and an exit code, never a traceback."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tts_pipeline.errors import PipelineError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

T = TypeVar("T")


def guarded(
    action: Callable[[], T],
    interrupted: str = "Finished takes are kept; run the same command to continue.",
) -> T:
    """Run a command body; a user's mistake ends in one line on stderr and an exit code, and
    Ctrl-C (or SIGTERM) in ``interrupted``: what became of the work."""
    try:
        return action()
    except PipelineError as exc:
        err.print(f"[bold red]error:[/] {escape(one_line(str(exc)))}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        err.print(f"[yellow]interrupted.[/] {escape(interrupted)}")
        signum = exc.args[0] if isinstance(exc, Terminated) else signal.SIGINT
        raise typer.Exit(128 + signum) from None


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop the way Ctrl-C does (temporary files removed, finished takes kept)."""


def one_line(message: str) -> str:
    return " ".join(message.split())


def warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def note(notes: tuple[str, ...]) -> None:
    """What the document's reader skipped (a table, a text box): said, never silent."""
    for line in notes:
        err.print(f"[cyan]note:[/] {escape(line)}", soft_wrap=True)
