"""The user's own audio (intro, outro, chapter sound, music bed), in any format ffmpeg reads
(mp3, wav, m4a, ogg, flac, …): read as a regular file with a byte limit (``user_files``), decoded
with pydub running the ffmpeg of imageio-ffmpeg (there need be no ffmpeg on the PATH), mixed down
to mono and resampled by ffmpeg to the programme's rate."""

from __future__ import annotations

import functools
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tts_pipeline.errors import PipelineError, SettingsError
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.user_files import read_user_file

MAX_AUDIO_BYTES = 128 << 20  # ten minutes of CD-quality WAV
MAX_AUDIO_SECONDS = 15 * 60  # a music bed loops: longer files add nothing but memory


def read_audio_file(path: Path, what: str) -> bytes:
    """The bytes of the user's audio file ``path`` (``what``: "intro file", …), or one line."""
    return read_user_file(path, what=what, limit=MAX_AUDIO_BYTES, error=SettingsError)


@functools.cache
def _pydub() -> Any:
    """pydub's AudioSegment, pointed at imageio-ffmpeg's binary. Its import is quiet: pydub
    warns when no ffmpeg is on the PATH (it is never looked for there), and its modules hold
    regular expressions that newer Pythons warn about when they compile them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydub import AudioSegment

    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


def decode_audio(data: bytes, name: str, what: str, rate: int) -> np.ndarray:
    """``data`` (a file's bytes) decoded: mono float32 samples at ``rate``; one line if it holds
    no audio ffmpeg can decode, or none at all.

    pydub decodes with ffmpeg through temporary files (its ``from_file`` would ask ffprobe for
    the sample format, and imageio-ffmpeg has no ffprobe); its mono mix-down averages the
    channels, and ffmpeg resamples (pydub's own resampler does not filter aliases)."""
    if not data:
        raise SettingsError(f"{what} {name} is empty (zero bytes)")
    segment_class = _pydub()
    from pydub.exceptions import CouldntDecodeError, CouldntEncodeError

    try:
        segment = segment_class.from_file_using_temporary_files(io.BytesIO(data))
    except (CouldntDecodeError, IndexError, EOFError, ValueError) as exc:
        raise SettingsError(
            f"{what} {name} is not audio that ffmpeg can decode{_why(exc)}"
        ) from None
    if segment.frame_count() == 0:
        raise SettingsError(f"{what} {name} holds no audio (zero length)")
    if segment.duration_seconds > MAX_AUDIO_SECONDS:
        raise SettingsError(
            f"{what} {name} is {segment.duration_seconds / 60:.0f} minutes long; "
            f"the limit is {MAX_AUDIO_SECONDS // 60} minutes"
        )
    if segment.channels > 1:
        segment = segment.set_channels(1)
    segment = segment.set_sample_width(2)
    if segment.frame_rate != rate:
        try:
            raw = segment.export(format="s16le", parameters=["-ar", str(rate)]).read()
        except CouldntEncodeError as exc:  # pragma: no cover - ffmpeg resamples any PCM
            raise PipelineError(f"resampling {what} {name} failed{_why(exc)}") from None
    else:
        raw = segment.raw_data
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if not len(samples):
        raise SettingsError(f"{what} {name} holds no audio (zero length)")
    return samples


def _why(exc: BaseException) -> str:
    """ffmpeg's last message line, if pydub's error carries one."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return f" ({last})" if last and not last.startswith("Decoding failed") else ""
