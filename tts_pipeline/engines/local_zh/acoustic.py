"""FastSpeech2 as LiteRT can run it, with a pitch offset: two rewrites of its flatbuffer.

* FastSpeech2 uses one TF-Select op, ``FlexRandomUniform`` (dropout masks that stayed in the
  exported graph). LiteRT has no Flex delegate but has the builtin ``RANDOM_UNIFORM``, so the
  operator code is switched to it and each such op gets fixed non-zero seeds.
* It gets an extra input, ``f0_offsets``, added to its predicted pitch (which it only lets us
  scale): see ``add_f0_offset_input``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tts_pipeline.engines.local_zh.flatbuffer import litert_schema, pack_model
from tts_pipeline.errors import EngineUnavailable

# Seeds for the dropout RANDOM_UNIFORM ops: any fixed non-zero pair makes them deterministic
# (both zero would mean "seed from the clock"). Changing them changes the sound: bump the
# engine version if you do.
RANDOM_SEED = 20240601
RANDOM_SEED2 = 1

_FLEX_RANDOM_UNIFORM = b"FlexRandomUniform"


def patch_acoustic_model(
    content: bytes, seed: int = RANDOM_SEED, seed2: int = RANDOM_SEED2
) -> bytes:
    """FastSpeech2 as LiteRT can run it: builtin RANDOM_UNIFORM, plus an ``f0_offsets`` input."""
    model = litert_schema().ModelT.InitFromPackedBuf(content, 0)
    use_builtin_random_uniform(model, seed, seed2)
    add_f0_offset_input(model)
    return pack_model(model, len(content))


def use_builtin_random_uniform(model: Any, seed: int, seed2: int) -> int:
    """Replace the custom ``FlexRandomUniform`` op with the builtin ``RANDOM_UNIFORM``, seeded.

    Returns how many operators were changed.
    """
    schema = litert_schema()
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
    schema = litert_schema()
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
        return str(next(n for n, v in vars(schema.BuiltinOperator).items() if v == number))

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
