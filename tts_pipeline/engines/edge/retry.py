"""Which edge-tts failures are worth retrying, how long to wait, and how to name them in one line.

edge-tts raises raw aiohttp exceptions for network trouble (ClientConnectorError,
WSServerHandshakeError, ServerDisconnectedError, timeouts) next to its own ``EdgeTTSException``
subclasses (NoAudioReceived, UnexpectedResponse, UnknownResponse, WebSocketError,
SkewAdjustmentError). All of those are transient: the service is known to drop requests and to
answer "no audio" now and then, and a later attempt usually works.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from enum import Enum

import aiohttp
from edge_tts import exceptions as edge_exceptions

from tts_pipeline.engines.edge.audio import AudioDecodeError, TruncatedAudio


class ServiceStalled(TimeoutError):
    """No frame arrived from the service for longer than the idle timeout."""


class Kind(Enum):
    TRANSIENT = "transient"  # retry with backoff
    FATAL = "fatal"  # this utterance fails at once (a bug or an unexpected answer)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``min(cap, base * factor**(n-1))``, minus up to
    ``jitter`` of it at random so that parallel requests do not retry in lockstep."""

    attempts: int = 5
    base: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def delay(self, failed_attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``failed_attempts``-th failure (1-based)."""
        raw = min(self.cap, self.base * self.factor ** max(0, failed_attempts - 1))
        draw = (rng or random).random()
        return raw * (1.0 - self.jitter * draw)


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,  # connector errors, handshake errors (403, 5xx), disconnects
    TimeoutError,  # asyncio timeouts too (an alias since 3.11); also ServiceStalled
    ConnectionError,
    edge_exceptions.EdgeTTSException,
    TruncatedAudio,
    AudioDecodeError,
)


def classify(error: BaseException) -> Kind:
    return Kind.TRANSIENT if isinstance(error, _TRANSIENT_TYPES) else Kind.FATAL


def describe(error: BaseException) -> str:
    """A short, single-line reason for a failure, for messages shown to the user."""
    text = _describe(error)
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _describe(error: BaseException) -> str:
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return f"the service refused the connection (HTTP {error.status})"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port} ({_os_reason(error.os_error)})"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the service closed the connection"
    if isinstance(error, ServiceStalled):
        return str(error) or "the service stopped sending data"
    if isinstance(error, TimeoutError):
        return str(error) or "the request timed out"
    if isinstance(error, edge_exceptions.NoAudioReceived):
        return "the service returned no audio"
    if isinstance(error, TruncatedAudio):
        return f"the audio stream was cut short ({error})"
    if isinstance(error, AudioDecodeError):
        return f"the audio could not be decoded ({error})"
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _os_reason(error: OSError) -> str:
    # asyncio's "Connect call failed ('127.0.0.1', 1)" hides a plain errno: name that instead.
    if error.errno is not None and error.errno > 0:
        return os.strerror(error.errno)
    return error.strerror or str(error)  # resolver errors carry negative codes and their own text
