"""LiteRT model flatbuffers: the schema's object API, and a model packed back into bytes."""

from __future__ import annotations

from typing import Any


def litert_schema() -> Any:
    """LiteRT's flatbuffer schema (object API), imported when a model is first rewritten."""
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def pack_model(model: Any, size_hint: int) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(size_hint + (1 << 16))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
