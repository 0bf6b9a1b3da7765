"""A render's manifest read back (``tts-pipeline open``, ``tts-pipeline check``): a file the user
names, so read with a byte limit (``user_files``), then checked part by part and turned into the
typed ``Manifest`` it was written from (``Manifest.to_json`` of the result is the file's JSON).
Anything else, including a manifest of another version, is one line: render again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.manifest import (
    FORMAT_VERSION,
    LoudnessReport,
    Manifest,
    ManifestChapter,
    ManifestCue,
    ManifestUtterance,
)
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.synthesis.fallback import FallbackUse
from tts_pipeline.text.chrome import RemovedLine
from tts_pipeline.text.segment import PlannedPlaceholder
from tts_pipeline.user_files import read_user_file
from tts_pipeline.voices import VoiceProfile, profile_from_dict

# Far above the manifest of the longest document a render takes (5 MB of text: about 20 MB).
MAX_MANIFEST_BYTES = 64 << 20


class _Malformed(ValueError):
    """A part of the manifest is missing or not what the writer puts there (says which)."""


def read_manifest_json(path: Path) -> dict[str, Any]:
    """The manifest's JSON object, read with the byte limit; one line if it is anything else."""
    raw = read_user_file(path, what="manifest", limit=MAX_MANIFEST_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PipelineError(f"cannot read the manifest {path}: it is not JSON") from None
    if not isinstance(data, dict):
        raise PipelineError(f"cannot read the manifest {path}: it is not a JSON object")
    return data


def read_manifest(path: Path) -> Manifest:
    """The typed manifest of the file ``path``."""
    data = read_manifest_json(path)
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise PipelineError(
            f"the manifest {path} has format version {version!r}; this tts-pipeline reads "
            f"version {FORMAT_VERSION}: render again"
        )
    try:
        return manifest_from_json(data)
    except _Malformed as exc:
        raise PipelineError(
            f"cannot read the manifest {path}: {exc} (written by another version of "
            "tts-pipeline? render again)"
        ) from None


def manifest_from_json(data: Mapping[str, Any]) -> Manifest:
    """``Manifest.to_json`` read back (raises _Malformed, naming the part that is wrong)."""
    outputs = _table(data, "outputs", "manifest")
    loudness, fallback = data.get("loudness"), data.get("fallback")
    return Manifest(
        title=_text(data, "title", "manifest"),
        language=_text(data, "language", "manifest"),
        source=_text(data, "source", "manifest"),
        duration=_number(data, "duration", "manifest"),
        sample_rate=_integer(data, "sample_rate", "manifest"),
        voice=_voice(_table(data, "voice", "manifest"), "voice"),
        outputs={kind: _text(outputs, kind, "outputs") for kind in outputs},
        tags=_tags(_table(data, "tags", "manifest")),
        loudness=_loudness(loudness) if loudness is not None else None,
        chapters=tuple(
            ManifestChapter(
                index=_integer(c, "index", where),
                title=_text(c, "title", where),
                start=_number(c, "start", where),
                end=_number(c, "end", where),
            )
            for c, where in _entries(data, "chapters")
        ),
        utterances=tuple(_utterance(u, where) for u, where in _entries(data, "utterances")),
        cues=tuple(
            ManifestCue(
                index=_integer(c, "index", where),
                utterance=_text(c, "utterance", where),
                start=_number(c, "start", where),
                end=_number(c, "end", where),
                text=_text(c, "text", where),
            )
            for c, where in _entries(data, "cues")
        ),
        removed=tuple(
            RemovedLine(text=_text(r, "text", where), rule=_text(r, "rule", where))
            for r, where in _entries(data, "removed")
        ),
        placeholders=tuple(
            PlannedPlaceholder(
                text=_text(p, "text", where),
                spoken=_text(p, "spoken", where),
                utterance=_text(p, "utterance", where),
                kind=_text(p, "kind", where),
                filled=_flag(p, "filled", where),
            )
            for p, where in _entries(data, "placeholders")
        ),
        fallback=_fallback(fallback) if fallback is not None else None,
    )


def _utterance(u: Mapping[str, Any], where: str) -> ManifestUtterance:
    return ManifestUtterance(
        id=_text(u, "id", where),
        chapter=_integer(u, "chapter", where),
        paragraph=_integer(u, "paragraph", where),
        kind=_text(u, "kind", where),
        start=_number(u, "start", where),
        end=_number(u, "end", where),
        pause_after=_number(u, "pause_after", where),
        text=_text(u, "text", where),
        spoken=_text(u, "spoken", where),
        engine=_text(u, "engine", where),
        voice=_text(u, "voice", where),
        voice_start=_number(u, "voice_start", where),
        voice_end=_number(u, "voice_end", where),
        gain_db=_number(u, "gain_db", where) if "gain_db" in u else None,
        fallback=_flag(u, "fallback", where) if "fallback" in u else False,
    )


def _voice(data: dict[str, Any], where: str) -> VoiceProfile:
    try:
        return profile_from_dict(data, default_name="voice", where=where)
    except PipelineError as exc:
        raise _Malformed(str(exc)) from None


def _tags(data: Mapping[str, Any]) -> Tags:
    """The tags as ``tag_items`` wrote them (empty ones left out; album_artist is the artist)."""
    values = {key: _text(data, key, "tags") for key in data}
    known = ("title", "artist", "album", "date", "genre", "language", "comment")
    return Tags(
        title=values.get("title", ""),
        artist=values.get("artist", ""),
        album=values.get("album", ""),
        date=values.get("date", ""),
        genre=values.get("genre", ""),
        language=values.get("language", ""),
        comment=values.get("comment", ""),
        extra={k: v for k, v in values.items() if k not in known and k != "album_artist"},
    )


def _loudness(data: Any) -> LoudnessReport:
    if not isinstance(data, dict):
        raise _Malformed("loudness is not an object")
    where = "loudness"
    return LoudnessReport(
        target_lufs=_number(data, "target_lufs", where),
        true_peak_ceiling_dbtp=_number(data, "true_peak_ceiling_dbtp", where),
        source_lufs=_optional_number(data, "source_lufs", where),
        levelled_lufs=_optional_number(data, "levelled_lufs", where),
        overall_gain_db=_number(data, "overall_gain_db", where),
        limited_takes=_integer(data, "limited_takes", where),
    )


def _fallback(data: Any) -> FallbackUse:
    if not isinstance(data, dict):
        raise _Malformed("fallback is not an object")
    return FallbackUse(
        voice=_voice(_table(data, "voice", "fallback"), "fallback voice"),
        reason=_text(data, "reason", "fallback"),
        utterance_ids=tuple(_text_list(data, "utterances", "fallback")),
    )


# ---------------------------------------------------------------------------------------------
# Parts of the JSON, each of the type the writer gives it


def _value(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise _Malformed(f"{where} has no {key}")
    return data[key]


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _value(data, key, where)
    if not isinstance(value, str):
        raise _Malformed(f"{where}: {key} is not text")
    return value


def _number(data: Mapping[str, Any], key: str, where: str) -> float:
    value = _value(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(f"{where}: {key} is not a number")
    return float(value)


def _optional_number(data: Mapping[str, Any], key: str, where: str) -> float | None:
    return None if _value(data, key, where) is None else _number(data, key, where)


def _integer(data: Mapping[str, Any], key: str, where: str) -> int:
    value = _value(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{where}: {key} is not a whole number")
    return value


def _flag(data: Mapping[str, Any], key: str, where: str) -> bool:
    value = _value(data, key, where)
    if not isinstance(value, bool):
        raise _Malformed(f"{where}: {key} is not true or false")
    return value


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = _value(data, key, where)
    if not isinstance(value, dict):
        raise _Malformed(f"{where}: {key} is not an object")
    return value


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = _value(data, key, where)
    if not isinstance(value, list):
        raise _Malformed(f"{where}: {key} is not a list")
    return value


def _entries(data: Mapping[str, Any], key: str) -> list[tuple[dict[str, Any], str]]:
    """The objects of the list ``key``, each with where it is (``utterances[3]``)."""
    entries = []
    for i, entry in enumerate(_list(data, key, "manifest")):
        where = f"{key}[{i}]"
        if not isinstance(entry, dict):
            raise _Malformed(f"{where} is not an object")
        entries.append((entry, where))
    return entries


def _text_list(data: Mapping[str, Any], key: str, where: str = "manifest") -> list[str]:
    values = _list(data, key, where)
    if not all(isinstance(v, str) for v in values):
        raise _Malformed(f"{where}: {key} is not a list of text")
    return [str(v) for v in values]
