"""Test helper: run the command line in this process."""

from __future__ import annotations

from typer.testing import CliRunner

from tts_pipeline.cli.app import app


def cli(*args: str) -> tuple[int, str, str]:
    """Run `tts-pipeline ARGS…` with typer's runner: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr
