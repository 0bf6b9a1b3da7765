"""Test helpers: the command line run in this process (typer's runner) or as a process of its own
(`python -m tts_pipeline`, what a user runs), one way each."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tts_pipeline.cli.app import app

COMMAND = [sys.executable, "-m", "tts_pipeline"]


def cli(*args: str) -> tuple[int, str, str]:
    """Run `tts-pipeline ARGS…` with typer's runner: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    preexec_fn: Callable[[], None] | None = None,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `tts-pipeline ARGS…` as a process of its own and wait for it (output as text; stdin
    closed, or ``stdin`` piped in; ``env``: the whole environment, None for this one;
    ``preexec_fn``: run in the child before it starts, e.g. to set a resource limit)."""
    if stdin is not None:  # bytes in (any encoding), text out
        piped = subprocess.run(
            [*COMMAND, *map(str, args)],
            capture_output=True,
            input=stdin,
            cwd=cwd,
            env=env,
            timeout=timeout,
            preexec_fn=preexec_fn,
        )
        return subprocess.CompletedProcess(
            piped.args, piped.returncode, piped.stdout.decode(), piped.stderr.decode()
        )
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec_fn,
    )


def start_cli(*args: str | Path, **popen: Any) -> subprocess.Popen[Any]:
    """Start `tts-pipeline ARGS…` as a process of its own; the caller waits for it, interrupts
    or kills it (``popen``: subprocess.Popen's arguments, e.g. stdout, stderr, env)."""
    return subprocess.Popen([*COMMAND, *map(str, args)], stdin=subprocess.DEVNULL, **popen)
