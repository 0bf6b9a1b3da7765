"""ffmpeg: the static binary shipped in the imageio-ffmpeg wheel (no system ffmpeg needed), and
running it with a PCM stream on its stdin."""

from __future__ import annotations

import contextlib
import errno
import io
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import imageio_ffmpeg

from tts_pipeline.errors import PipelineError


def ffmpeg_exe() -> str:
    """The ffmpeg binary inside the imageio-ffmpeg wheel."""
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


# PCM chunks (a take, or a pause) produced ahead of what ffmpeg has read: the next takes are
# levelled while ffmpeg encodes, with a bounded amount of audio in memory.
PCM_CHUNKS_AHEAD = 4


def run_ffmpeg(cmd: list[str], pcm: Iterable[bytes], writes_to: Sequence[Path] = ()) -> None:
    """Run ffmpeg with ``pcm`` on its stdin; a failure is one PipelineError line (``writes_to``:
    the folders it writes in, named when a disk is full).

    A thread writes to ffmpeg while this one produces the next chunks, so producing the audio
    and encoding it overlap (each would otherwise wait for the other at every chunk). Another
    thread reads ffmpeg's messages as they come (a pipe nobody read would stop ffmpeg once it
    filled up; a temporary file would lose them when the temporary folder is full)."""
    # A session of its own: Ctrl-C in the terminal reaches us, and we stop ffmpeg (and remove
    # its partial file); a render that ignores SIGINT keeps its encoder too.
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    messages = bytearray()
    reader = threading.Thread(
        target=_keep_messages, args=(proc, messages), name="ffmpeg-messages", daemon=True
    )
    reader.start()
    try:
        _feed(proc, pcm)
        code = proc.wait()
    finally:
        reader.join()  # ffmpeg has ended (or was killed): its messages end too
        assert proc.stdin is not None and proc.stderr is not None
        proc.stderr.close()
        with contextlib.suppress(OSError):  # audio still buffered for a stopped ffmpeg
            proc.stdin.close()
    if code != 0:
        text = messages.decode("utf-8", "replace").strip()
        if NO_SPACE in text or code == 256 - errno.ENOSPC:  # ffmpeg exits with -ENOSPC & 0xff
            raise PipelineError(no_space_message(writes_to), exit_code=5)
        last = text.splitlines()[-1] if text else f"exit code {code}"
        raise PipelineError(f"encoding failed: {last}", exit_code=5)


NO_SPACE = "No space left on device"  # ffmpeg's messages are not translated
MESSAGES_KEPT = 64 * 1024  # bytes of ffmpeg's messages kept (the last ones say what failed)
NEARLY_FULL_BYTES = 1024 * 1024


def _keep_messages(proc: subprocess.Popen[bytes], messages: bytearray) -> None:
    stderr = proc.stderr
    assert isinstance(stderr, io.BufferedReader)  # (a buffered pipe: Popen's default)
    while chunk := stderr.read1(4096):
        messages += chunk
        del messages[:-MESSAGES_KEPT]


def no_space_message(folders: Sequence[Path]) -> str:
    """Which of the folders ffmpeg wrote in is on a full disk (all of them if none is now)."""
    temp = Path(tempfile.gettempdir())

    def nearly_full(folder: Path) -> bool:
        try:
            return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
        except OSError:
            return False

    full = [folder for folder in folders if nearly_full(folder)] or list(folders)
    names = [
        f"the temporary folder {folder} (or set TMPDIR to a folder on another disk)"
        if folder == temp
        else f"the output folder {folder}"
        for folder in full
    ]
    where = " and ".join(names) if names else "the output or the temporary folder"
    return f"encoding failed: no space left on the disk: free some space in {where}"


def _feed(proc: subprocess.Popen[bytes], pcm: Iterable[bytes]) -> None:
    assert proc.stdin is not None
    stdin = proc.stdin
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=PCM_CHUNKS_AHEAD)
    broken = threading.Event()  # ffmpeg stopped reading (it failed: its messages say why)
    unexpected: list[BaseException] = []

    def write() -> None:
        while (chunk := chunks.get()) is not None:
            if broken.is_set():
                continue  # keep taking chunks, so the producer never blocks on a full queue
            try:
                stdin.write(chunk)
            except (BrokenPipeError, ValueError, OSError):
                broken.set()
            except BaseException as exc:  # noqa: BLE001 - raised below, in the producer
                unexpected.append(exc)
                broken.set()

    writer = threading.Thread(target=write, name="ffmpeg-stdin", daemon=True)
    writer.start()
    try:
        for chunk in pcm:
            if broken.is_set():
                break
            chunks.put(chunk)
        chunks.put(None)
        writer.join()
        if unexpected:  # ffmpeg is fine but did not get all the audio: it must not finish
            raise unexpected[0]
        with contextlib.suppress(BrokenPipeError):
            stdin.close()
    except BaseException:
        proc.kill()  # a blocked write fails now; the writer then drains the queue
        chunks.put(None)
        writer.join()
        proc.wait()
        raise
