"""Files the user names (the speech, fill-ins, a voice preset, cover art, a render's manifest),
read with a hard byte limit whatever they turn out to be.

The size a file reports is no guide: a device or a FIFO reports 0 bytes and then never ends
(``/dev/zero``) or never starts (a FIFO nobody writes to). So only regular files are read: the
type is checked before opening (opening a FIFO waits for a writer), and again on the opened
descriptor, which is opened non-blocking in case something else was put in the file's place in
between. Every read stops one byte past the limit, so a file that grows while it is read cannot
get past it either. A stream (standard input, which the user names ``-``) is read with the same
limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from tts_pipeline.errors import PipelineError

_CHUNK = 1 << 16
STDIN = "-"  # the file name that stands for standard input
STDIN_NAME = "stdin"  # standard input as messages and the manifest name it

# What a file that is not a regular file is, for the one-line error.
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def is_stdin(path: Path) -> bool:
    """True when the user named standard input (``-``) rather than a file."""
    return str(path) == STDIN


def display_name(path: Path) -> str:
    """The input's name as the manifest gives it: the file's name, or "stdin"."""
    return STDIN_NAME if is_stdin(path) else path.name


def read_user_file(
    path: Path,
    *,
    what: str,
    limit: int,
    error: type[PipelineError] = PipelineError,
    advice: str = "",
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Anything else raises ``error`` with one line naming the file as ``what`` ("input file",
    "cover image", …): not found, a directory, a device, FIFO or socket, too large (``advice``
    follows the limit, e.g. "split the document"), unreadable.
    """
    try:
        _check_regular(os.stat(path), path, what, error)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on some Pythons
        raise error(f"cannot read {what} {path}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        _check_regular(info, path, what, error)
        if info.st_size > limit:
            raise error(_too_large(what, path, f"{_size(info.st_size)}", limit, advice))
        with os.fdopen(fd, "rb", buffering=0) as stream:
            fd = -1  # the stream owns it now
            return read_stream(
                stream, what=what, name=str(path), limit=limit, error=error, advice=advice
            )
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {_reason(exc)}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def read_stream(
    stream: BinaryIO,
    *,
    what: str,
    name: str,
    limit: int,
    error: type[PipelineError] = PipelineError,
    advice: str = "",
) -> bytes:
    """Everything ``stream`` holds, or ``error`` as soon as it holds more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise error(_too_large(what, name, f"more than {_size(limit)}", limit, advice))


def _check_regular(info: os.stat_result, path: Path, what: str, error: type[PipelineError]) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise error(f"{what} {path} is a directory, not a file")
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise error(f"{what} {path} is {kind}, not a regular file: give a file")


def _too_large(what: str, name: str | Path, size: str, limit: int, advice: str) -> str:
    message = f"{what} {name} is {size}; the limit is {_size(limit)}"
    return f"{message} ({advice})" if advice else message


def _size(count: int) -> str:
    """Bytes for a person, in binary units as file managers show them: 5 MB, 20.1 MB, 64 kB."""
    if count >= 1 << 20:
        return f"{count / (1 << 20):.1f}".removesuffix(".0") + " MB"
    if count >= 1 << 10:
        return f"{count / (1 << 10):.0f} kB"
    return f"{count} bytes"


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
