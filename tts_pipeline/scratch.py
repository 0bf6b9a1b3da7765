"""Temporary files and folders that name the run owning them, and the sweep of a gone run's.

A render writes each output beside its final name first (``.<name>.<owner>.<random>.part``,
renamed into place when complete), takes and measurements into the take cache the same way (and
proof-listening its recogniser's model folder into the user cache), and scratch files into a
folder in the system's temporary folder (``tts-pipeline-<owner>-<random>``).
``<owner>`` is the process id and the process's start time (clock ticks since boot, Linux; 0
where the system does not say), so that a process id given to another process later is not
taken for the owner.

A run removes its own temporary files on every way out Python sees (errors, Ctrl-C, SIGTERM).
A run that was killed (SIGKILL, the machine switched off) cannot: the next render removes them,
but only those whose owner is gone, never a live run's (two renders into one folder, or sharing
a take cache, each keep theirs).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tts_pipeline.errors import PipelineError

PART_SUFFIX = ".part"
TEMP_FOLDER_PREFIX = "tts-pipeline-"
_PART = re.compile(r"^\..+\.(\d+)-(\d+)\.[^.]+\.part$")
_TEMP_FOLDER = re.compile(rf"^{TEMP_FOLDER_PREFIX}(\d+)-(\d+)-")
_PROC = Path("/proc")


def owner() -> str:
    """This process as the owner of temporary files: ``<pid>-<start time>``."""
    return _owner(os.getpid())  # a forked child is an owner of its own


@functools.cache
def _owner(pid: int) -> str:
    return f"{pid}-{_start_time(pid) or 0}"


def part_prefix(name: str) -> str:
    """The start of a temporary file's name beside ``name`` (end it with PART_SUFFIX)."""
    return f".{name}.{owner()}."


def temp_folder_prefix() -> str:
    """The start of a scratch folder's name in the system's temporary folder."""
    return f"{TEMP_FOLDER_PREFIX}{owner()}-"


@contextlib.contextmanager
def temp_folder() -> Iterator[Path]:
    """A scratch folder of this run in the system's temporary folder, removed after the block."""
    try:
        holder = tempfile.TemporaryDirectory(prefix=temp_folder_prefix())
    except OSError as exc:
        raise temp_folder_error(exc) from None
    with holder as name:
        yield Path(name)


def write_scratch(path: Path, data: bytes) -> None:
    """Write a scratch file; a failure is one line that names the temporary folder."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise temp_folder_error(exc) from None


def temp_folder_error(exc: OSError) -> PipelineError:
    return PipelineError(
        f"cannot write in the temporary folder {tempfile.gettempdir()}: "
        f"{exc.strerror or exc} (TMPDIR chooses another folder)",
        exit_code=5,
    )


def _start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), None if it does not exist or the
    system does not say (no /proc)."""
    fields = _proc_stat(pid)
    return int(fields[19]) if fields else None


def _proc_stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from the state on (the name, which may hold anything, is skipped)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def owner_alive(pid: int, start: int) -> bool:
    """Whether the run that named a file ``<pid>-<start>`` may still be running. Only a "no"
    that is certain is "no": a temporary file is removed only when its owner is gone."""
    if os.name != "posix":
        return True  # (no safe way to ask here)
    if (_PROC / "self").is_dir():
        fields = _proc_stat(pid)
        if fields is None:
            return (_PROC / str(pid)).exists()  # gone, unless /proc/<pid>/stat is unreadable
        state, started = fields[0], int(fields[19])
        if state in ("Z", "X"):  # killed, not yet reaped by its parent
            return False
        return start in (0, started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep_parts(folder: Path) -> int:
    """Remove the temporary files (and folders) in ``folder`` whose run is gone; how many were
    removed."""
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = _PART.match(entry.name)
            folder_part = entry.is_dir(follow_symlinks=False)
            if match is None or not (folder_part or entry.is_file(follow_symlinks=False)):
                continue
            if not owner_alive(int(match.group(1)), int(match.group(2))):
                with contextlib.suppress(OSError):
                    if folder_part:
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
                    removed += 1
    return removed


def sweep_temp_folders(parent: Path | None = None) -> int:
    """Remove this user's scratch folders in the temporary folder whose run is gone."""
    removed = 0
    if os.name != "posix":
        return removed  # (owner_alive cannot tell here)
    parent = parent if parent is not None else Path(tempfile.gettempdir())
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            match = _TEMP_FOLDER.match(entry.name)
            if match is None or not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue
            if not owner_alive(int(match.group(1)), int(match.group(2))):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
    return removed
