"""Playing a file with an audio player found on PATH (``tts-pipeline preview --play``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# Audio players looked for on PATH, in this order, with the arguments that make them play one
# file and exit quietly.
PLAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("afplay", ()),
    ("paplay", ()),
    ("aplay", ("-q",)),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "error")),
    ("mpv", ("--no-video", "--really-quiet")),
)


def find_player() -> list[str] | None:
    """The command that plays a file here (without the file), or None."""
    for name, args in PLAYERS:
        found = shutil.which(name)
        if found:
            return [found, *args]
    return None


def player_names() -> str:
    return ", ".join(name for name, _ in PLAYERS)


# A player gets this long beyond the clip's own length (a busy sound device can make one wait).
PLAYER_GRACE_SECONDS = 30.0


def play_file(path: Path, player: list[str], duration: float) -> str | None:
    """Play ``path`` (``duration`` seconds long) and wait; None if it played, else one line
    saying what went wrong."""
    limit = duration + PLAYER_GRACE_SECONDS
    try:
        result = subprocess.run(
            [*player, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=limit,
            check=False,
        )
    except OSError as exc:
        return f"{Path(player[0]).name} could not start: {exc.strerror or exc}"
    except subprocess.TimeoutExpired:
        return f"{Path(player[0]).name} was still playing after {limit:.0f} s; stopped it"
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {result.returncode}"
        return f"{Path(player[0]).name} could not play it: {detail}"
    return None
