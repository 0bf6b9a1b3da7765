"""Errors a user can cause: the CLI prints one line and exits non-zero, never a traceback."""

from __future__ import annotations


class PipelineError(Exception):
    """A problem the user can fix (bad input, bad setting, unreachable service).

    ``str(error)`` is the one line shown to the user; ``exit_code`` is the process exit code.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(PipelineError):
    """The input document cannot be read or holds no speech."""


class SettingsError(PipelineError):
    """A voice setting or option is malformed or out of range."""


class EngineUnavailable(PipelineError):
    """The engine cannot run here (service unreachable, model or program missing)."""

    exit_code = 3


class SynthesisError(PipelineError):
    """Synthesis failed for good (after retries, or a permanent error from the engine)."""

    exit_code = 4


class EngineStopped(SynthesisError):
    """An engine gave up on some utterances after finishing others (yielded before this was
    raised). The message says what failed; whoever stored the finished takes adds what became
    of them (``synthesis.run.run_engine``)."""
