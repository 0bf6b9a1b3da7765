"""The edge-tts voices: the list (live from the service if it answers quickly, else a shipped
snapshot), and what can be checked of a voice without the network."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import edge_tts
from edge_tts.data_classes import TTSConfig

from tts_pipeline.engines.async_bridge import run_sync
from tts_pipeline.engines.edge.endpoint import resolve_endpoint, use_endpoint
from tts_pipeline.errors import SettingsError
from tts_pipeline.voices import (
    EDGE_VOICE_RE,
    VoiceProfile,
    validate_pitch,
    validate_rate,
    validate_volume,
)

log = logging.getLogger(__name__)

LIVE = "live"
SNAPSHOT = "snapshot"
LIST_TIMEOUT = 5.0  # seconds; the list is small, a slow answer means a bad connection

# Short names as the voice list spells them: zh-CN-YunyangNeural, zh-CN-liaoning-XiaobeiNeural.
# Strict on purpose: the name is pasted into an SSML attribute by edge-tts.
VOICE_NAME_RE = EDGE_VOICE_RE

_KEPT_FIELDS = ("ShortName", "Locale", "Gender", "FriendlyName", "VoiceTag", "Status", "Name")


@cache
def _snapshot_document() -> dict[str, Any]:
    text = resources.files("tts_pipeline").joinpath("data/edge_voices.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def snapshot_voices() -> list[dict[str, Any]]:
    """The voices shipped with the package (a copy: callers may change it)."""
    return [dict(voice) for voice in _snapshot_document()["voices"]]


def snapshot_source() -> str:
    document = _snapshot_document()
    return f"{document.get('snapshot_date', '?')}: {document.get('source', '')}"


def known_voice_names() -> frozenset[str]:
    return frozenset(voice["ShortName"] for voice in _snapshot_document()["voices"])


async def list_voices_live(
    *, endpoint: str | None = None, timeout: float = LIST_TIMEOUT
) -> list[dict[str, Any]]:
    """Ask the service for its voice list; raises on any failure or after ``timeout`` seconds."""
    use_endpoint(resolve_endpoint(endpoint))
    async with asyncio.timeout(timeout):
        voices = await edge_tts.list_voices()
    return [_trim(voice) for voice in voices]


def list_voices(
    locale: str | None = None,
    gender: str | None = None,
    *,
    endpoint: str | None = None,
    timeout: float = LIST_TIMEOUT,
) -> tuple[list[dict[str, Any]], str]:
    """Voices matching ``locale`` (``zh`` or ``zh-CN``) and ``gender``, and where they came from:
    ``"live"`` or ``"snapshot"`` (the service did not answer within ``timeout``)."""
    try:
        voices = run_sync(list_voices_live(endpoint=endpoint, timeout=timeout))
        source = LIVE
    except Exception as error:  # any failure means: use what we ship
        log.info("edge-tts voice list unavailable (%s); using the shipped snapshot", error)
        voices, source = snapshot_voices(), SNAPSHOT
    return filter_voices(voices, locale=locale, gender=gender), source


def filter_voices(
    voices: list[dict[str, Any]], *, locale: str | None = None, gender: str | None = None
) -> list[dict[str, Any]]:
    """Keep voices whose locale is ``locale`` or starts with ``locale-`` (case-insensitive; so
    ``zh-CN`` includes the zh-CN dialect voices) and whose gender matches; sorted by name."""
    wanted_locale = locale.lower() if locale else None
    wanted_gender = gender.lower() if gender else None
    kept = [
        voice
        for voice in voices
        if _locale_matches(str(voice.get("Locale", "")), wanted_locale)
        and (wanted_gender is None or str(voice.get("Gender", "")).lower() == wanted_gender)
    ]
    return sorted(kept, key=lambda voice: (voice.get("Locale", ""), voice.get("ShortName", "")))


def _locale_matches(voice_locale: str, wanted: str | None) -> bool:
    if wanted is None:
        return True
    voice_locale = voice_locale.lower()
    return voice_locale == wanted or voice_locale.startswith(wanted + "-")


def _trim(voice: Mapping[str, Any]) -> dict[str, Any]:
    return {key: voice[key] for key in _KEPT_FIELDS if key in voice}


def validate_voice(voice: VoiceProfile) -> None:
    """Everything about a profile that can be checked without the network (SettingsError)."""
    validate_rate(voice.rate)
    validate_pitch(voice.pitch)
    validate_volume(voice.volume)
    if not VOICE_NAME_RE.match(voice.voice):
        raise SettingsError(
            f"edge voice must be a voice short name such as zh-CN-YunyangNeural "
            f"(got {voice.voice!r})"
        )
    try:
        TTSConfig(voice.voice, voice.rate, voice.volume, voice.pitch, "SentenceBoundary")
    except (TypeError, ValueError) as error:
        raise SettingsError(f"edge-tts rejects the voice settings: {error}") from None


def unknown_voice_message(name: str) -> str:
    return f"unknown edge voice {name!r}; see the voice list with `tts-pipeline voices`"
