"""MB-MelGAN cut after its sub-bands: the PQMF synthesis stage done in numpy.

MB-MelGAN ends in PQMF synthesis (4 sub-bands → one 24 kHz signal) that quantizes the bands to
int8 and runs a 63-tap FIR whose multi-threaded LiteRT kernel rounds differently with different
thread counts. The graph is cut after the ``tanh`` that produces the sub-bands and the synthesis
runs in numpy with the model's own filters: float precision (no 8-bit step) and the same bits for
any thread count. The rest of the graph is then streamlined for XNNPACK (``rewrite``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from tts_pipeline.engines.local_zh.flatbuffer import litert_schema, pack_model
from tts_pipeline.engines.local_zh.rewrite import streamline_vocoder
from tts_pipeline.errors import EngineUnavailable


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
    schema = litert_schema()
    model = schema.ModelT.InitFromPackedBuf(content, 0)
    graph = model.subgraphs[0]
    producer = {int(t): op for op in graph.operators for t in op.outputs}

    def name(op: Any) -> str:
        code = model.operatorCodes[op.opcodeIndex]
        number = max(code.builtinCode, code.deprecatedBuiltinCode)
        return str(next(k for k, v in vars(schema.BuiltinOperator).items() if v == number))

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
    return pack_model(model, len(content)), pqmf
