"""Text normalization: written text → the words a narrator says. Pure and deterministic."""

from __future__ import annotations

from collections.abc import Sequence

from tts_pipeline.text.normalize.fills import FillMap, load_fills
from tts_pipeline.text.normalize.result import Normalized, PlaceholderHit

__all__ = [
    "FillMap",
    "Normalized",
    "PlaceholderHit",
    "load_fills",
    "normalize",
    "normalize_all",
]


def normalize(text: str, language: str = "zh-CN", fills: object | None = None) -> Normalized:
    """Normalize ``text`` for the given language (only Chinese has rules so far)."""
    if language.lower().startswith("zh"):
        from tts_pipeline.text.normalize.zh.pipeline import normalize_zh

        return normalize_zh(text, fills=fills)
    return Normalized(original=text, spoken=text)


def normalize_all(
    texts: Sequence[str], language: str = "zh-CN", fills: FillMap | object | None = None
) -> list[Normalized]:
    """Normalize a document's utterances in order.

    Placeholder occurrences are counted across the whole sequence, so fill-ins given by
    position ("XX人" = ["520人", "30人"]) apply document-wide: the i-th XX人 of the document
    gets the i-th value. ``fills`` is a FillMap (see ``load_fills``), a plain mapping, or None.
    """
    if language.lower().startswith("zh"):
        from tts_pipeline.text.normalize.zh.pipeline import normalize_zh_all

        return normalize_zh_all(texts, fills=fills)
    return [Normalized(original=text, spoken=text) for text in texts]
