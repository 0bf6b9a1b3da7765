"""VoiceProfile: which engine and voice speak, with what rate/pitch/volume and pauses.

Presets are TOML files, one per preset, in the package's ``voices/`` folder (the repo's top-level
``voices/`` is the same folder, shipped inside the package), and in the user's preset folder
(``platformdirs.user_config_dir("tts-pipeline")/voices``, or ``$TTS_PIPELINE_VOICES_DIR``).

``--voice NAME`` looks for NAME in this order:

1. a path (contains ``/`` or ends in ``.toml``): that file;
2. a user preset ``NAME.toml`` (so a user preset may replace a shipped one of the same name);
3. a shipped preset;
4. an edge-tts voice short name such as ``zh-CN-YunyangNeural``: that voice with default settings.

The same settings mean the same thing on every engine: ``rate`` "+10%" makes speech 10 % faster
(``rate_ratio`` 1.1), ``pitch`` "+20Hz" raises the voice's mean pitch by about 20 Hz,
``volume`` "-50%" halves the amplitude (``volume_ratio`` 0.5; a render's loudness target moves
by ``volume_db``, -6 dB, so normalization keeps the difference).
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from tts_pipeline.errors import SettingsError
from tts_pipeline.production import ProductionSettings, production_from_dict
from tts_pipeline.user_files import read_user_file

DEFAULT_VOICE = "xiaomei"
USER_VOICES_ENV = "TTS_PIPELINE_VOICES_DIR"

RATE_RE = re.compile(r"^[+-]\d+%$")
VOLUME_RE = RATE_RE
PITCH_RE = re.compile(r"^[+-]\d+Hz$")
# edge-tts voice short names as the voice list spells them: zh-CN-YunyangNeural,
# zh-CN-liaoning-XiaobeiNeural, en-US-AriaNeural.
EDGE_VOICE_RE = re.compile(r"^(?P<locale>[a-z]{2,3}-[A-Z]{2,})(?:-[A-Za-z]+)?-[A-Za-z0-9]+Neural$")
MAX_PAUSE_SECONDS = 30.0
MAX_VOICE_FILE_BYTES = 1 << 20  # a preset is a few hundred bytes
MIN_VOLUME_DB = -30.0  # "-100%": as quiet as the loudness range allows, not a division by zero

# The offline voice for a language (``--fallback offline``): language prefix → preset name.
OFFLINE_VOICES = {"zh": DEFAULT_VOICE, "en": "espeak-en"}


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
    description: str = ""
    endpoint: str | None = None  # edge only: another service URL (TTS_PIPELINE_EDGE_URL wins)
    production: ProductionSettings = field(default_factory=ProductionSettings)  # house sound

    def __post_init__(self) -> None:
        validate_rate(self.rate)
        validate_pitch(self.pitch)
        validate_volume(self.volume)
        if self.endpoint is not None:
            validate_endpoint(self.endpoint)

    @classmethod
    def load(cls, name_or_path: str | Path | None = None) -> VoiceProfile:
        """A preset by name (the user's presets first), a preset file, or an edge-tts voice short
        name such as zh-CN-YunyangNeural; None: the default voice."""
        return load_profile(None if name_or_path is None else str(name_or_path))

    def with_settings(
        self,
        *,
        rate: str | None = None,
        pitch: str | None = None,
        volume: str | None = None,
        pauses: Mapping[str, str | float] | None = None,
    ) -> VoiceProfile:
        """This voice with other settings ("+10%", "+20Hz", "-20%"; pauses in seconds by kind:
        title, sentence, paragraph, chapter), each checked."""
        return apply_overrides(self, rate=rate, pitch=pitch, volume=volume, pauses=pauses)

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

    @property
    def volume_db(self) -> float:
        """The volume as a gain in dB ("-50%" → -6.0), at least MIN_VOLUME_DB."""
        ratio = self.volume_ratio
        return max(MIN_VOLUME_DB, 20.0 * math.log10(ratio)) if ratio > 0 else MIN_VOLUME_DB

    def loudness_target(self, target: float | None) -> float | None:
        """A loudness target with this voice's volume applied: normalization would otherwise
        undo the engine's gain, and ``volume`` must change the result on every engine ("-50%"
        → -6 dB). None (no normalization) stays None."""
        return None if target is None else target + self.volume_db

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["endpoint"] is None:
            del data["endpoint"]
        data["production"] = self.production.to_dict()
        if not data["production"]:
            del data["production"]
        return data


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


def validate_endpoint(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise SettingsError(
            "endpoint must be a ws:// or wss:// URL such as "
            f"ws://127.0.0.1:8080/consumer/speech/synthesize/readaloud/edge/v1 (got {value!r})"
        )


def _presets_dir() -> Path:
    return Path(str(resources.files("tts_pipeline") / "voices"))


def user_presets_dir() -> Path:
    """Where a user's own presets live (searched before the shipped ones)."""
    env = os.environ.get(USER_VOICES_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir("tts-pipeline")) / "voices"


def preset_paths() -> dict[str, Path]:
    """Shipped presets by name."""
    return {p.stem: p for p in sorted(_presets_dir().glob("*.toml"))}


def user_preset_paths() -> dict[str, Path]:
    folder = user_presets_dir()
    try:
        return {p.stem: p for p in sorted(folder.glob("*.toml")) if p.is_file()}
    except OSError:
        return {}


@dataclass(frozen=True)
class PresetEntry:
    """A preset as a listing shows it: where it comes from, and the profile or why it fails."""

    name: str
    source: str  # "user" | "shipped"
    path: Path
    profile: VoiceProfile | None
    error: str | None = None
    shadowed: bool = False  # a user preset of the same name replaces this shipped one


def list_presets() -> list[PresetEntry]:
    """Every preset, user ones first; a broken file is listed with its error, not raised."""
    user = user_preset_paths()
    entries: list[PresetEntry] = []
    for source, paths in (("user", user), ("shipped", preset_paths())):
        for name, path in paths.items():
            try:
                profile, error = load_profile_file(path), None
            except SettingsError as exc:
                profile, error = None, str(exc)
            shadowed = source == "shipped" and name in user
            entries.append(PresetEntry(name, source, path, profile, error, shadowed))
    return entries


def load_profile_file(path: Path) -> VoiceProfile:
    raw = read_user_file(path, what="voice file", limit=MAX_VOICE_FILE_BYTES, error=SettingsError)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(f"cannot read voice file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"voice file {path} is not valid TOML: {exc}") from None
    return profile_from_dict(data, default_name=path.stem, where=str(path), base=path.parent)


_TEXT_KEYS = ("name", "engine", "voice", "display_name", "language", "rate", "pitch", "volume")
_OPTIONAL_KEYS = ("description", "endpoint")


def profile_from_dict(
    data: dict[str, Any], *, default_name: str, where: str, base: Path = Path()
) -> VoiceProfile:
    known = {*_TEXT_KEYS, *_OPTIONAL_KEYS}
    unknown = set(data) - known - {"pauses", "production"}
    if unknown:
        raise SettingsError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"known keys: {', '.join(sorted(known | {'pauses', 'production'}))}"
        )
    for key in ("engine", "voice"):
        if key not in data:
            raise SettingsError(f"{where}: missing key {key!r}")
    pauses_data = data.get("pauses", {})
    if not isinstance(pauses_data, dict):
        raise SettingsError(f"{where}: [pauses] must be a table")
    pauses = _pauses_from_dict(pauses_data, where)
    production = production_from_dict(data.get("production", {}), base, where)
    values = {k: v for k, v in data.items() if k in known}
    for key, value in values.items():
        if not isinstance(value, str):
            raise SettingsError(f"{where}: {key} must be a string (got {value!r})")
    values.setdefault("name", default_name)
    values.setdefault("display_name", values["voice"])
    values.setdefault("language", "zh-CN")
    try:
        return VoiceProfile(pauses=pauses, production=production, **values)
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None


def _pauses_from_dict(data: dict[str, Any], where: str) -> Pauses:
    base = Pauses()
    values: dict[str, float] = {}
    for key, value in data.items():
        if key not in asdict(base):
            raise SettingsError(f"{where}: unknown pause {key!r}; pauses: {', '.join(PAUSE_KINDS)}")
        values[key] = validate_pause(key, value)
    return replace(base, **values)


PAUSE_KINDS = tuple(f.name for f in fields(Pauses))


def validate_pause(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"pause {key} must be a number of seconds such as 0.4 (got {value!r})")
    if not 0 <= float(value) <= MAX_PAUSE_SECONDS:
        raise SettingsError(
            f"pause {key} must be between 0 and {MAX_PAUSE_SECONDS:g} seconds (got {value!r})"
        )
    return float(value)


def parse_pause(key: str, text: str) -> float:
    """A pause given on the command line ("0.5", "1", "0.5s") → seconds, or one clear error."""
    cleaned = text.strip().removesuffix("s").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise SettingsError(
            f"pause {key} must be a number of seconds such as 0.4 (got {text!r})"
        ) from None
    return validate_pause(key, value)


def apply_overrides(
    profile: VoiceProfile,
    *,
    rate: str | None = None,
    pitch: str | None = None,
    volume: str | None = None,
    pauses: Mapping[str, str | float] | None = None,
) -> VoiceProfile:
    """The profile with command-line settings on top (each validated: one clear line if not)."""
    changes: dict[str, Any] = {}
    for key, value, check in (
        ("rate", rate, validate_rate),
        ("pitch", pitch, validate_pitch),
        ("volume", volume, validate_volume),
    ):
        if value is not None:
            value = value.strip()
            check(value)
            changes[key] = value
    pause_values: dict[str, float] = {}
    for key, raw in (pauses or {}).items():
        if raw is None:
            continue
        if key not in PAUSE_KINDS:
            raise SettingsError(f"unknown pause {key!r}; pauses: {', '.join(PAUSE_KINDS)}")
        pause_values[key] = (
            parse_pause(key, raw) if isinstance(raw, str) else validate_pause(key, raw)
        )
    if pause_values:
        changes["pauses"] = replace(profile.pauses, **pause_values)
    return replace(profile, **changes) if changes else profile


def edge_voice_profile(short_name: str) -> VoiceProfile:
    """A profile for an edge-tts voice given by its short name (default settings)."""
    match = EDGE_VOICE_RE.match(short_name)
    if match is None:
        raise SettingsError(
            f"edge voice must be a voice short name such as zh-CN-YunyangNeural "
            f"(got {short_name!r})"
        )
    return VoiceProfile(
        name=short_name,
        engine="edge",
        voice=short_name,
        display_name=short_name,
        language=match.group("locale"),
    )


def load_profile(name_or_path: str | None) -> VoiceProfile:
    """Find a voice by path, user preset, shipped preset or edge voice short name (in that
    order; default: the offline Mandarin voice)."""
    name = (name_or_path or DEFAULT_VOICE).strip()
    if name.endswith(".toml") or "/" in name or os.sep in name:
        return load_profile_file(Path(name).expanduser())
    user = user_preset_paths()
    if name in user:
        return load_profile_file(user[name])
    presets = preset_paths()
    if name in presets:
        return load_profile_file(presets[name])
    if EDGE_VOICE_RE.match(name):
        return edge_voice_profile(name)
    names = sorted({*user, *presets})
    raise SettingsError(
        f"unknown voice {name!r}; presets: {', '.join(names) or '(none)'} "
        "(or an edge voice short name such as zh-CN-YunyangNeural, or a .toml file)"
    )


def offline_voice_for(language: str) -> str | None:
    """The offline preset that speaks ``language`` ("zh-CN" → xiaomei), if there is one."""
    return OFFLINE_VOICES.get(language.split("-")[0].lower())


def fallback_profile(name: str, primary: VoiceProfile) -> VoiceProfile:
    """The voice for ``--fallback NAME``: "offline" is the offline voice for the primary voice's
    language; anything else is found like ``--voice``. Rate, pitch and volume carry over."""
    if name.strip().lower() == "offline":
        offline = offline_voice_for(primary.language)
        if offline is None:
            raise SettingsError(
                f"no offline voice for language {primary.language!r}; "
                f"give a preset with --fallback NAME (offline voices: "
                f"{', '.join(f'{k}: {v}' for k, v in OFFLINE_VOICES.items())})"
            )
        name = offline
    fallback = load_profile(name)
    return replace(fallback, rate=primary.rate, pitch=primary.pitch, volume=primary.volume)


def profile_toml(profile: VoiceProfile) -> str:
    """The profile as a preset file (the name comes from the file name, so it is left out)."""
    lines = [f"# {profile.name}: {profile.display_name}"]
    for key in ("engine", "voice", "display_name", "language", "description", "endpoint"):
        value = getattr(profile, key)
        if value:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    lines += [
        f'rate = "{profile.rate}"',
        f'pitch = "{profile.pitch}"',
        f'volume = "{profile.volume}"',
    ]
    lines += ["", "[pauses]"]
    lines += [f"{kind} = {getattr(profile.pauses, kind):g}" for kind in PAUSE_KINDS]
    sounds = profile.production.to_dict()
    lines += ["", "[production]"] if sounds else []
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in sounds.items()]
    return "\n".join(lines) + "\n"
