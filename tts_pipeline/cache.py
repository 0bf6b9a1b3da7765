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

from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.errors import PipelineError
from tts_pipeline.export import write_text_atomic
from tts_pipeline.loudness import MEASUREMENT_VERSION, TakeLoudness
from tts_pipeline.outputs import scratch

CACHE_ENV = "TTS_PIPELINE_CACHE_DIR"
MAGIC = b"TTSTAKE1"
SUFFIX = ".take"
MEASUREMENTS_DIR = "loudness"  # beside the take folders: what a take's loudness analysis found
MEASUREMENT_FORMAT = 2  # the measurement file's layout (2: the audio's digest and a checksum)


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
        """Remove the temporary files of renders that were killed while they wrote a take or a
        measurement here (outputs.scratch); how many."""
        removed = 0
        if self.root.is_dir():
            folders = [*self.root.glob("??"), *(self.root / MEASUREMENTS_DIR).glob("??")]
            for folder in folders:
                removed += scratch.sweep_parts(folder)
        return removed

    @property
    def measurements(self) -> MeasurementStore:
        return MeasurementStore(self.root / MEASUREMENTS_DIR)


class MeasurementStore:
    """Loudness measurements of trimmed takes (loudness.TakeLoudness), addressed by the digest
    of the audio measured: a re-render measures nothing it has measured before.

    Kept with the integrity of takes: each file names the audio it measured and carries a
    SHA-256 of its numbers; a file that does not match (a flipped digit, a truncated file,
    another file's numbers) reads as missing and the take is measured again. Best effort: an
    unreadable or unwritable entry is measured again, never an error. (Whether the numbers can
    belong to the audio is checked by whoever has the audio: loudness.measurement_fits.)"""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, digest: str) -> TakeLoudness | None:
        try:
            data = json.loads(self.path(digest).read_text(encoding="utf-8"))
            numbers = data["measurement"]
            if (
                data.get("format") != MEASUREMENT_FORMAT
                or numbers.get("version") != MEASUREMENT_VERSION
                or numbers.get("audio") != digest
                or data.get("sha256") != _measurement_checksum(numbers)
            ):
                return None
            blocks = np.array(numbers["blocks"], dtype=np.float64)
            if blocks.ndim != 1:
                return None
            return TakeLoudness(
                blocks=blocks,
                own=float(numbers["own"]),
                peak=float(numbers["peak"]),
                seconds=float(numbers["seconds"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, digest: str, measured: TakeLoudness) -> None:
        numbers = {
            "version": MEASUREMENT_VERSION,
            "audio": digest,
            "own": measured.own,  # -Infinity for silence: json writes and reads it back
            "peak": measured.peak,
            "seconds": measured.seconds,
            "blocks": measured.blocks.tolist(),  # float64 repr: read back exactly
        }
        data = {
            "format": MEASUREMENT_FORMAT,
            "sha256": _measurement_checksum(numbers),
            "measurement": numbers,
        }
        with contextlib.suppress(OSError):
            write_text_atomic(self.path(digest), json.dumps(data))


def _measurement_checksum(numbers: dict[str, object]) -> str:
    """SHA-256 of a measurement's numbers as JSON (floats in their shortest exact form)."""
    return hashlib.sha256(json.dumps(numbers, sort_keys=True).encode("utf-8")).hexdigest()


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
