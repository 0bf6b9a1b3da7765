"""Where edge-tts connects: the real service or an override (a local fake, a relay).

edge-tts 7.x builds its URLs from module globals at request time:
``edge_tts.communicate.WSS_URL`` (``f"{WSS_URL}&ConnectionId=…&Sec-MS-GEC=…"``, so it must already
contain ``?``) and ``edge_tts.voices.VOICE_LIST`` (the voice list, same convention). Both are
copies of ``edge_tts.constants`` taken at import, so patching the constants module does nothing.
``use_endpoint`` is the one place that sets them; it runs right before every connection because
the globals are shared by the whole process.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import edge_tts.communicate
import edge_tts.voices
from edge_tts.constants import TRUSTED_CLIENT_TOKEN, VOICE_LIST, WSS_URL

from tts_pipeline.errors import SettingsError

ENV_VAR = "TTS_PIPELINE_EDGE_URL"

DEFAULT_WSS_URL = WSS_URL
DEFAULT_VOICE_LIST_URL = VOICE_LIST

_SYNTH_SUFFIX = "/edge/v1"
_VOICES_SUFFIX = "/voices/list"


def resolve_endpoint(explicit: str | None = None) -> str | None:
    """The override to use (constructor argument first, then the environment), normalized."""
    raw = explicit if explicit is not None else os.environ.get(ENV_VAR, "")
    raw = raw.strip()
    return normalize_endpoint(raw) if raw else None


def normalize_endpoint(url: str) -> str:
    """Check a websocket URL and make sure it carries a ``TrustedClientToken`` query parameter."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise SettingsError(
            f"{ENV_VAR} must be a ws:// or wss:// URL such as "
            f"ws://127.0.0.1:8080{'/consumer/speech/synthesize/readaloud'}{_SYNTH_SUFFIX} "
            f"(got {url!r})"
        )
    params = [key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
    if "trustedclienttoken" in params:
        return url
    token = f"TrustedClientToken={TRUSTED_CLIENT_TOKEN}"
    query = f"{parts.query}&{token}" if parts.query else token
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def voice_list_url(endpoint: str | None) -> str:
    """The voice list that goes with a synthesis endpoint (same host, ``…/voices/list``)."""
    if endpoint is None:
        return DEFAULT_VOICE_LIST_URL
    parts = urlsplit(endpoint)
    scheme = "https" if parts.scheme == "wss" else "http"
    path = parts.path.rstrip("/")
    if path.endswith(_SYNTH_SUFFIX):
        path = path[: -len(_SYNTH_SUFFIX)]
    query = f"trustedclienttoken={TRUSTED_CLIENT_TOKEN}"
    return urlunsplit((scheme, parts.netloc, path + _VOICES_SUFFIX, query, ""))


def use_endpoint(endpoint: str | None) -> None:
    """Point edge-tts at ``endpoint`` (or back at the real service when None)."""
    # Private globals (copies of edge_tts.constants, read at each request), so not exported.
    vars(edge_tts.communicate)["WSS_URL"] = endpoint or DEFAULT_WSS_URL
    vars(edge_tts.voices)["VOICE_LIST"] = voice_list_url(endpoint)


def describe_endpoint(endpoint: str | None) -> str:
    """Host and path, without the query (for identities and messages)."""
    if endpoint is None:
        return "speech.platform.bing.com"
    parts = urlsplit(endpoint)
    return f"{parts.netloc}{parts.path}"
