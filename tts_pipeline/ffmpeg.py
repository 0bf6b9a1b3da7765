"""ffmpeg: the static binary shipped in the imageio-ffmpeg wheel (no system ffmpeg needed), and
running it with a PCM stream on its stdin."""

from __future__ import annotations

import contextlib
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable

import imageio_ffmpeg

from tts_pipeline.errors import PipelineError


def ffmpeg_exe() -> str:
    """The ffmpeg binary inside the imageio-ffmpeg wheel."""
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


# PCM chunks (a take, or a pause) produced ahead of what ffmpeg has read: the next takes are
# levelled while ffmpeg encodes, with a bounded amount of audio in memory.
PCM_CHUNKS_AHEAD = 4


def run_ffmpeg(cmd: list[str], pcm: Iterable[bytes]) -> None:
    """Run ffmpeg with ``pcm`` on its stdin; a failure is one PipelineError line.

    A thread writes to ffmpeg while this one produces the next chunks, so producing the audio
    and encoding it overlap (each would otherwise wait for the other at every chunk). ffmpeg's
    messages go to a temporary file, not a pipe: a pipe nobody reads until the end would stop
    ffmpeg (and with it the whole encode) once it filled up."""
    with tempfile.TemporaryFile() as messages:
        # A session of its own: Ctrl-C in the terminal reaches us, and we stop ffmpeg (and
        # remove its partial file); a render that ignores SIGINT keeps its encoder too.
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=messages,
            start_new_session=True,
        )
        _feed(proc, pcm)
        if proc.wait() != 0:
            messages.seek(0)
            text = messages.read().decode("utf-8", "replace").strip()
            last = text.splitlines()[-1] if text else f"exit code {proc.returncode}"
            raise PipelineError(f"encoding failed: {last}", exit_code=5)


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
