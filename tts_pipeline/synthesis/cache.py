"""Content-addressed take cache: synthesized audio is kept on disk under the hash of everything
that shapes its sound, so a render that was interrupted, or repeated after a small edit, only
synthesizes what has no take yet.

A take file is ``MAGIC | u32 header length | JSON header | float32 little-endian samples``; the
header carries the sample count and a SHA-256 of the payload, and a file that does not match is
discarded when read (never stitched). Writes go to a temp file and are renamed into place, so
concurrent renders and kills at any moment leave either a whole take or none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from tts_pipeline import scratch
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.errors import PipelineError

CACHE_ENV = "TTS_PIPELINE_CACHE_DIR"
MAGIC = b"TTSTAKE1"
SUFFIX = ".take"
MEASUREMENTS_DIR = "loudness"  # beside the take folders: what a take's loudness analysis found
# Also beside them, the segmenter's word list that proofreading asks (text.word_list), kept by
# a render: made from jieba's dictionary file, it is not a take, and ``clear`` leaves it.
WORDS_DIR = "segmenter"


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("tts-pipeline")) / "takes"


@dataclass(frozen=True)
class CacheInfo:
    location: Path
    entries: int
    bytes: int


class TakeCache:
    """Takes on disk, addressed by key (a hex digest)."""

    durable = True

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()
        self.discarded = 0  # corrupt entries found (and removed) while reading

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> Take | None:
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return None
        take = decode_take(data)
        if take is None:
            self.discarded += 1
            with contextlib.suppress(OSError):
                path.unlink()
        return take

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def put(self, key: str, take: Take) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=scratch.part_prefix(key[:16]), suffix=scratch.PART_SUFFIX, dir=path.parent
            )
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(encode_take(take))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise PipelineError(
                f"cannot write to the take cache at {self.root}: {exc.strerror or exc} "
                f"(choose another with --cache-dir or {CACHE_ENV})"
            ) from None

    def info(self) -> CacheInfo:
        entries = 0
        size = 0
        if self.root.is_dir():
            for path in self.root.glob(f"*/*{SUFFIX}"):
                with contextlib.suppress(OSError):
                    size += path.stat().st_size
                    entries += 1
        return CacheInfo(self.root, entries, size)

    def clear(self) -> int:
        """Remove every take (and the measurements made of them); returns how many takes."""
        removed = self.info().entries
        if self.root.is_dir():
            for child in self.root.iterdir():
                if child.is_dir() and (len(child.name) == 2 or child.name == MEASUREMENTS_DIR):
                    shutil.rmtree(child, ignore_errors=True)
        return removed

    def sweep(self) -> int:
        """Remove the temporary files of renders that were killed while they wrote a take, a
        measurement or the word list here (scratch); how many."""
        removed = 0
        if self.root.is_dir():
            measurements = (self.root / MEASUREMENTS_DIR).glob("??")
            folders = [*self.root.glob("??"), *measurements, self.words_dir]
            for folder in folders:
                removed += scratch.sweep_parts(folder)
        return removed

    @property
    def measurements_dir(self) -> Path:
        """Where the loudness measurements of these takes are kept (removed with them)."""
        return self.root / MEASUREMENTS_DIR

    @property
    def words_dir(self) -> Path:
        """Where the segmenter's word list is kept (``text.word_list``)."""
        return self.root / WORDS_DIR


def encode_take(take: Take) -> bytes:
    payload = np.ascontiguousarray(take.samples, dtype="<f4").tobytes()
    header = {
        "sample_rate": take.sample_rate,
        "engine": take.engine,
        "voice": take.voice,
        "samples": len(take.samples),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "boundaries": [[b.text, b.start, b.end] for b in take.boundaries],
    }
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return MAGIC + struct.pack("<I", len(head)) + head + payload


def decode_take(data: bytes) -> Take | None:
    """The take in ``data``, or None if it is truncated or corrupt in any way."""
    try:
        if not data.startswith(MAGIC):
            return None
        (head_len,) = struct.unpack_from("<I", data, len(MAGIC))
        start = len(MAGIC) + 4
        header = json.loads(data[start : start + head_len].decode("utf-8"))
        payload = data[start + head_len :]
        if len(payload) != 4 * int(header["samples"]):
            return None
        if hashlib.sha256(payload).hexdigest() != header["sha256"]:
            return None
        samples = np.frombuffer(payload, dtype="<f4").astype(np.float32)
        boundaries = tuple(Boundary(str(t), float(s), float(e)) for t, s, e in header["boundaries"])
        return Take(
            samples=samples,
            sample_rate=int(header["sample_rate"]),
            engine=str(header["engine"]),
            voice=str(header["voice"]),
            boundaries=boundaries,
        )
    except (struct.error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
