"""Production settings: the user's own sounds around and under the speech (an intro, an outro, a
sound at each chapter start, a music bed and its level), from the command line or a voice
preset's ``[production]`` table, so an organisation's house sound is one preset.

Only names and numbers live here; the sounds are read, levelled and placed by ``audio.clips``,
``audio.music`` and the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from tts_pipeline.errors import SettingsError

DEFAULT_MUSIC_LEVEL_LUFS = -26.0
MUSIC_LEVEL_RANGE_LUFS = (-50.0, -12.0)
# The clips placed on the timeline (the music bed is mixed under it instead).
CLIP_KINDS = ("intro", "chapter_sound", "outro")
SOUND_KINDS = (*CLIP_KINDS, "music")


def check_music_level(value: Any, where: str = "--music-level") -> float:
    """A music bed level in LUFS within MUSIC_LEVEL_RANGE_LUFS, or one SettingsError line."""
    low, high = MUSIC_LEVEL_RANGE_LUFS
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{where} must be a number of LUFS such as -26 (got {value!r})")
    if not low <= value <= high:
        raise SettingsError(f"{where} must be between {low:g} and {high:g} LUFS (got {value:g})")
    return float(value)


def parse_music_level(text: str) -> float:
    """``--music-level``: "-26" or "-26 LUFS"."""
    cleaned = text.strip().lower().removesuffix("lufs").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise SettingsError(
            f"--music-level must be a number of LUFS such as -26 (got {text!r})"
        ) from None
    return check_music_level(value)


@dataclass(frozen=True)
class ProductionSettings:
    """Which sounds to add (None: none) and the music bed's level between utterances (LUFS)."""

    intro: Path | None = None
    outro: Path | None = None
    chapter_sound: Path | None = None  # at the start of every chapter
    music: Path | None = None  # a bed under the speech, looped, ducked while the voice speaks
    music_level: float = DEFAULT_MUSIC_LEVEL_LUFS

    def __post_init__(self) -> None:
        check_music_level(self.music_level)

    @property
    def sounds(self) -> dict[str, Path]:
        """Kind → file of every sound given (intro, chapter_sound, outro, music)."""
        found = {kind: getattr(self, kind) for kind in SOUND_KINDS}
        return {kind: path for kind, path in found.items() if path is not None}

    def with_overrides(
        self,
        *,
        intro: Path | None = None,
        outro: Path | None = None,
        chapter_sound: Path | None = None,
        music: Path | None = None,
        music_level: float | None = None,
    ) -> ProductionSettings:
        """These settings with the values given (not None) in their place."""
        return replace(
            self,
            intro=intro or self.intro,
            outro=outro or self.outro,
            chapter_sound=chapter_sound or self.chapter_sound,
            music=music or self.music,
            music_level=self.music_level if music_level is None else music_level,
        )

    def to_dict(self) -> dict[str, Any]:
        """The settings as a preset's ``[production]`` table holds them (nothing when empty)."""
        data: dict[str, Any] = {kind: str(path) for kind, path in self.sounds.items()}
        if data:
            data["music_level"] = self.music_level
        return data


def production_from_dict(data: Any, base: Path, where: str) -> ProductionSettings:
    """A preset's ``[production]`` table; file names relative to the preset's folder ``base``."""
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [production] must be a table")
    known = [f.name for f in fields(ProductionSettings)]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SettingsError(
            f"{where}: unknown key(s) in [production]: {', '.join(unknown)}; "
            f"known keys: {', '.join(known)}"
        )
    values: dict[str, Any] = {}
    for kind in SOUND_KINDS:
        if kind in data:
            value = data[kind]
            if not isinstance(value, str) or not value.strip():
                raise SettingsError(f"{where}: production {kind} must be a file name")
            values[kind] = base / Path(value).expanduser()
    if "music_level" in data:
        values["music_level"] = check_music_level(data["music_level"], f"{where}: music_level")
    return ProductionSettings(**values)
