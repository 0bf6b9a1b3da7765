"""Files the user names are read with a hard byte limit, and only if they are regular files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tts_pipeline.errors import PipelineError, SettingsError
from tts_pipeline.user_files import read_stream, read_user_file


def test_a_regular_file_is_read_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "speech.txt"
    path.write_bytes(b"x" * 1000)
    assert read_user_file(path, what="input file", limit=1000) == b"x" * 1000
    with pytest.raises(PipelineError, match=r"^input file .* is 1000 bytes; the limit is 999"):
        read_user_file(path, what="input file", limit=999)


def test_the_error_is_the_callers_kind_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (3 << 20))
    with pytest.raises(SettingsError) as caught:
        read_user_file(path, what="fills file", limit=1 << 20, error=SettingsError, advice="why")
    assert str(caught.value) == f"fills file {path} is 3 MB; the limit is 1 MB (why)"


@pytest.mark.timeout(20)
def test_devices_and_fifos_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # nobody writes to it: opening it to read would wait for ever
    cases = {
        Path("/dev/zero"): "a character device",
        fifo: r"a FIFO \(named pipe\)",
    }
    for path, kind in cases.items():
        with pytest.raises(PipelineError, match=f"^input file {path} is {kind}, not a regular"):
            read_user_file(path, what="input file", limit=1 << 20)


def test_missing_files_and_directories(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="^cover image not found: "):
        read_user_file(tmp_path / "none.png", what="cover image", limit=10)
    with pytest.raises(PipelineError, match="^cover image .* is a directory, not a file$"):
        read_user_file(tmp_path, what="cover image", limit=10)
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    with pytest.raises(PipelineError, match="^cannot read cover image "):
        read_user_file(loop, what="cover image", limit=10)


@pytest.mark.timeout(20)
def test_a_stream_is_read_with_the_same_limit() -> None:
    assert read_stream(io.BytesIO(b"abc"), what="input", name="-", limit=3) == b"abc"
    with pytest.raises(PipelineError, match="^input - is more than 2 bytes; the limit is 2"):
        read_stream(io.BytesIO(b"abc"), what="input", name="-", limit=2)
    # A stream that never ends stops at the limit.
    with (
        open("/dev/zero", "rb") as endless,
        pytest.raises(PipelineError, match="is more than 5 MB; the limit is 5 MB"),
    ):
        read_stream(endless, what="input", name="-", limit=5 << 20)
