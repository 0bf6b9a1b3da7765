"""VoiceProfile: which engine and voice speak, with what rate/pitch/volume and pauses.

Presets are TOML files, one per preset, in the package's ``voices/`` folder (the repo's top-level
``voices/`` is the same folder, shipped inside the package).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from tts_pipeline.errors import SettingsError

DEFAULT_VOICE = "xiaomei"

RATE_RE = re.compile(r"^[+-]\d+%$")
VOLUME_RE = RATE_RE
PITCH_RE = re.compile(r"^[+-]\d+Hz$")


@dataclass(frozen=True)
class Pauses:
    """Silence in seconds inserted after each kind of unit."""

    title: float = 1.2
    sentence: float = 0.4
    paragraph: float = 0.8
    chapter: float = 2.0


@dataclass(frozen=True)
class VoiceProfile:
    name: str
    engine: str
    voice: str
    display_name: str
    language: str
    rate: str = "+0%"
    pitch: str = "+0Hz"
    volume: str = "+0%"
    pauses: Pauses = field(default_factory=Pauses)

    def __post_init__(self) -> None:
        validate_rate(self.rate)
        validate_pitch(self.pitch)
        validate_volume(self.volume)

    @property
    def rate_ratio(self) -> float:
        """Speaking speed as a factor: "+10%" → 1.1."""
        return 1.0 + int(self.rate[:-1]) / 100.0

    @property
    def pitch_hz(self) -> int:
        return int(self.pitch[:-2])

    @property
    def volume_ratio(self) -> float:
        return 1.0 + int(self.volume[:-1]) / 100.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_rate(value: str) -> None:
    if not RATE_RE.match(value):
        raise SettingsError(f"rate must look like +10% or -5% (got {value!r})")
    if not -50 <= int(value[:-1]) <= 100:
        raise SettingsError(f"rate must be between -50% and +100% (got {value!r})")


def validate_volume(value: str) -> None:
    if not VOLUME_RE.match(value):
        raise SettingsError(f"volume must look like +10% or -5% (got {value!r})")
    if not -100 <= int(value[:-1]) <= 100:
        raise SettingsError(f"volume must be between -100% and +100% (got {value!r})")


def validate_pitch(value: str) -> None:
    if not PITCH_RE.match(value):
        raise SettingsError(f"pitch must look like +20Hz or -10Hz (got {value!r})")
    if not -100 <= int(value[:-2]) <= 100:
        raise SettingsError(f"pitch must be between -100Hz and +100Hz (got {value!r})")


def _presets_dir() -> Path:
    return Path(str(resources.files("tts_pipeline") / "voices"))


def preset_paths() -> dict[str, Path]:
    """Shipped presets by name."""
    return {p.stem: p for p in sorted(_presets_dir().glob("*.toml"))}


def load_profile_file(path: Path) -> VoiceProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read voice file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"voice file {path} is not valid TOML: {exc}") from None
    return profile_from_dict(data, default_name=path.stem, where=str(path))


def profile_from_dict(data: dict[str, Any], *, default_name: str, where: str) -> VoiceProfile:
    known = {"name", "engine", "voice", "display_name", "language", "rate", "pitch", "volume"}
    unknown = set(data) - known - {"pauses"}
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("engine", "voice"):
        if key not in data:
            raise SettingsError(f"{where}: missing key {key!r}")
    pauses_data = data.get("pauses", {})
    if not isinstance(pauses_data, dict):
        raise SettingsError(f"{where}: [pauses] must be a table")
    pauses = _pauses_from_dict(pauses_data, where)
    fields = {k: v for k, v in data.items() if k in known}
    for key, value in fields.items():
        if not isinstance(value, str):
            raise SettingsError(f"{where}: {key} must be a string (got {value!r})")
    fields.setdefault("name", default_name)
    fields.setdefault("display_name", fields["voice"])
    fields.setdefault("language", "zh-CN")
    return VoiceProfile(pauses=pauses, **fields)


def _pauses_from_dict(data: dict[str, Any], where: str) -> Pauses:
    base = Pauses()
    values: dict[str, float] = {}
    for key, value in data.items():
        if key not in asdict(base):
            raise SettingsError(f"{where}: unknown pause {key!r}")
        values[key] = validate_pause(key, value)
    return replace(base, **values)


def validate_pause(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"pause {key} must be a number of seconds (got {value!r})")
    if not 0 <= float(value) <= 30:
        raise SettingsError(f"pause {key} must be between 0 and 30 seconds (got {value!r})")
    return float(value)


def load_profile(name_or_path: str | None) -> VoiceProfile:
    """Find a voice by preset name or TOML path (default: the offline Mandarin voice)."""
    name = name_or_path or DEFAULT_VOICE
    if name.endswith(".toml") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise SettingsError(f"voice file not found: {name}")
        return load_profile_file(path)
    presets = preset_paths()
    if name in presets:
        return load_profile_file(presets[name])
    raise SettingsError(f"unknown voice {name!r}; presets: {', '.join(presets) or '(none)'}")
