"""Text normalization: written text → the words a narrator says. Pure and deterministic."""

from __future__ import annotations

from collections.abc import Sequence

from tts_pipeline.text.normalize.fills import FillCursor, FillMap, as_fill_map, load_fills
from tts_pipeline.text.normalize.result import Normalized, PlaceholderHit

__all__ = [
    "DocumentNormalizer",
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
    normalizer = DocumentNormalizer(language, fills)
    return [normalizer(text) for text in texts]


class DocumentNormalizer:
    """Normalizes a document's texts one after another, in reading order; fill-ins by position
    count across all of them (as ``normalize_all`` does). ``checkpoint`` and ``rewind`` let a
    caller normalize a text again in smaller pieces (the plan does, when a spoken text outgrows
    an utterance), with the same fill-ins."""

    def __init__(self, language: str = "zh-CN", fills: FillMap | object | None = None) -> None:
        self._chinese = language.lower().startswith("zh")
        self.fills = as_fill_map(fills) if self._chinese else None  # (only Chinese has rules)
        self._cursor = FillCursor()

    def __call__(self, text: str) -> Normalized:
        if not self._chinese:
            return Normalized(original=text, spoken=text)
        from tts_pipeline.text.normalize.zh.pipeline import normalize_zh_next

        return normalize_zh_next(text, self.fills, self._cursor)

    def checkpoint(self) -> FillCursor:
        return self._cursor.copy()

    def rewind(self, checkpoint: FillCursor) -> None:
        self._cursor = checkpoint.copy()
