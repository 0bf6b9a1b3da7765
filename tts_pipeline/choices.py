"""Option values that name choices, given repeatedly or comma-separated (``--format m4b,mp3``,
``--split chapters --split whole``): one reading for every such option."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from tts_pipeline.errors import SettingsError


def parse_choices(
    values: Iterable[str],
    known: Collection[str],
    unknown: Callable[[str], str],
    strip: str = "",
) -> tuple[str, ...]:
    """The known choices named in ``values``, lower-cased, in order, each once (``strip``: the
    characters to drop in front, e.g. the dot of ".mp3"); a name not in ``known`` is one
    SettingsError line, ``unknown(name)``."""
    chosen: list[str] = []
    for value in values:
        for part in value.split(","):
            key = part.strip().lower().lstrip(strip)
            if not key:
                continue
            if key not in known:
                raise SettingsError(unknown(part.strip()))
            if key not in chosen:
                chosen.append(key)
    return tuple(chosen)
