"""The ``edge`` engine: Microsoft's online neural voices through the edge-tts package.

Layers, bottom up:

* one attempt (``_fetch``): one websocket request through ``Communicate.stream()``, watched by an
  idle timeout, MP3 decoded to float32, completeness checked;
* one text piece (``_fetch_with_retries``): transient failures retried with backoff and jitter;
* one utterance (``_synthesize_one``): cleaned, split if oversized, silence if nothing to say;
* the batch (``_run_batch``): ``jobs`` utterances at a time, results handed out as they finish,
  stopping after too many failures in a row;
* ``synthesize``: the sync generator the pipeline consumes (a background loop thread).

Failures, and what becomes of them:

* network trouble, HTTP 403/5xx at the handshake, "no audio", unexpected frames, a stream that
  stalls (no frame for ``idle_timeout``) or ends early → retried (``RetryPolicy``);
* a stream cut short: edge-tts 7.x ends quietly when the socket closes before ``turn.end``, so
  the audio is checked against the sentence boundaries the service announced (``check_complete``)
  and a short answer is retried like any transient failure;
* bad rate/pitch/volume or voice-name syntax → SettingsError before anything is sent;
* an unknown voice: the service answers with no audio and no error. ``check`` compares the voice
  with the voice list (SettingsError); during synthesis it surfaces as "no audio" failures, and
  the message says when the voice is not on the shipped list;
* utterances that still fail → EngineStopped once ``max_consecutive_failures`` fail in a row, or
  at the end; every finished take has been yielded before.

The service is unofficial (Microsoft Edge's read-aloud endpoint): it may change or disappear; the
offline voice is always the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import edge_tts
from edge_tts import exceptions as edge_exceptions

from tts_pipeline.engines.async_bridge import BackgroundRun, Emit, run_sync
from tts_pipeline.engines.base import Boundary, Speakability, SynthesisRequest, Take
from tts_pipeline.engines.edge import voices as voice_list
from tts_pipeline.engines.edge.audio import (
    SAMPLE_RATE,
    Piece,
    boundary_from_ticks,
    check_complete,
    decode_mp3,
    join_pieces,
    silence,
)
from tts_pipeline.engines.edge.batch import (
    BatchState,
    IdleWatchdog,
    Stopped,
    first_cause,
    until_done_or_stopped,
)
from tts_pipeline.engines.edge.endpoint import describe_endpoint, resolve_endpoint, use_endpoint
from tts_pipeline.engines.edge.retry import Kind, RetryPolicy, ServiceStalled, classify, describe
from tts_pipeline.engines.edge.text import MAX_CHARS, clean_text, is_emoji, split_for_service
from tts_pipeline.engines.edge.voices import (
    known_voice_names,
    list_voices_live,
    unknown_voice_message,
    validate_voice,
)
from tts_pipeline.engines.speakable import Reading, assess, by_script
from tts_pipeline.errors import EngineUnavailable, SettingsError
from tts_pipeline.voices import (
    DEFAULT_VOICE,
    VoiceProfile,
    offline_voice_for,
)

log = logging.getLogger(__name__)

# A word per language for the preflight request ("。" alone gets no audio).
_PROBE_WORDS = {"zh": "你好", "ja": "こんにちは", "ko": "안녕하세요"}


@dataclass(frozen=True)
class EdgeOptions:
    """Timeouts and limits (seconds unless named otherwise)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    connect_timeout: float = 10.0  # TCP connect, per attempt
    idle_timeout: float = 20.0  # longest silence between frames (covers handshake and stalls)
    cancel_grace: float = 2.0  # wait this long for a cancelled request to close its socket
    max_consecutive_failures: int = 3  # utterances failing in a row before the run stops
    # Whole preflight request, retry included. With process start-up and planning, a render
    # with an edge voice on a dead network (packets dropped) fails well within 15 s.
    preflight_timeout: float = 7.0
    preflight_attempts: int = 2
    list_timeout: float = 5.0  # live voice list
    silence_seconds: float = 0.3  # the take for text with nothing to say
    max_chars: int = MAX_CHARS  # longest text sent in one request
    verify_complete: bool = True  # treat audio shorter than its boundaries as a failure


class EdgeEngine:
    """Online Microsoft neural voices via edge-tts (needs the network)."""

    name = "edge"

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        options: EdgeOptions | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)  # None: the real service
        self.options = options or EdgeOptions()

    # ----------------------------------------------------------------- Engine protocol

    def identity(self, voice: VoiceProfile) -> str:
        parts = [
            "edge",
            f"edge-tts={_edge_tts_version()}",
            f"voice={voice.voice}",
            f"rate={voice.rate}",
            f"pitch={voice.pitch}",
            f"volume={voice.volume}",
        ]
        if self.endpoint is not None:  # another server may sound different: keep caches apart
            parts.append(f"endpoint={describe_endpoint(self.endpoint)}")
        return "|".join(parts)

    def version(self) -> str:
        """The edge-tts client (the voices themselves are the service's)."""
        return f"edge-tts {_edge_tts_version()}"

    def check(self, voice: VoiceProfile) -> None:
        """Validate the settings, then make one tiny real request (bounded by
        ``preflight_timeout``) so an unreachable service fails before any synthesis."""
        validate_voice(voice)
        run_sync(self._preflight(voice))

    def speakability(self, text: str, voice: VoiceProfile) -> Speakability:
        """Roughly: the letters of the voice's locale, numbers and symbols, but not emoji
        (``clean_text`` removes them before sending)."""
        return assess(text, by_script(voice.language, _symbol_reading))

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        """Yield (index, take) in completion order, ``jobs`` requests in flight at a time.

        Settings are validated now (SettingsError before anything is sent). When utterances
        fail for good, EngineStopped is raised after every finished take has been yielded.
        """
        validate_voice(voice)
        return self._iterate(list(requests), voice, max(1, int(jobs)))

    def list_voices(
        self, locale: str | None = None, gender: str | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        return voice_list.list_voices(
            locale,
            gender,
            endpoint=self.endpoint,
            timeout=self.options.list_timeout,
        )

    # ----------------------------------------------------------------- the batch

    def _iterate(
        self, requests: list[SynthesisRequest], voice: VoiceProfile, jobs: int
    ) -> Iterator[tuple[int, Take]]:
        if not requests:
            return

        async def job(emit: Emit[tuple[int, Take]]) -> None:
            await self._run_batch(requests, voice, jobs, emit)

        with BackgroundRun(job, stop_timeout=self.options.cancel_grace * 2 + 3) as run:
            yield from run

    async def _run_batch(
        self,
        requests: list[SynthesisRequest],
        voice: VoiceProfile,
        jobs: int,
        emit: Emit[tuple[int, Take]],
    ) -> None:
        state = BatchState(limit=self.options.max_consecutive_failures)
        semaphore = asyncio.Semaphore(jobs)

        async def worker(request: SynthesisRequest) -> None:
            # ``jobs`` bounds the requests in flight, not the utterances: the pieces of a long
            # utterance go out side by side, in document order with everything else.
            if state.stopped.is_set():
                return
            try:
                take = await self._synthesize_one(request.text, voice, semaphore, state.stopped)
            except Stopped:
                return
            except SettingsError as error:
                state.abort(error)
                return
            except Exception as error:
                state.record_failure(request.index, self._reason(error, voice))
                return
            except asyncio.CancelledError as error:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this worker is being stopped
                # A piece that ended cancelled on its own (a TaskGroup ignores those): a
                # failure like any other, not an utterance silently left without a take.
                state.record_failure(request.index, self._reason(error, voice))
                return
            state.record_success()
            emit((request.index, take))

        tasks = [asyncio.create_task(worker(request)) for request in requests]
        await until_done_or_stopped(tasks, state.stopped)
        state.raise_outcome()

    def _reason(self, error: BaseException, voice: VoiceProfile) -> str:
        reason = describe(error)
        if isinstance(error, edge_exceptions.NoAudioReceived) and (
            voice.voice not in known_voice_names()
        ):
            reason += f"; is {voice.voice!r} a valid voice? it is not in the shipped voice list"
        log.warning("edge-tts gave up on an utterance: %s", reason)
        return reason

    # ----------------------------------------------------------------- one utterance

    async def _synthesize_one(
        self,
        text: str,
        voice: VoiceProfile,
        slots: asyncio.Semaphore | None = None,
        stopped: asyncio.Event | None = None,
    ) -> Take:
        texts = split_for_service(clean_text(text), self.options.max_chars)
        if not texts:  # punctuation or symbols only: the service would send no audio
            piece = Piece(samples=silence(self.options.silence_seconds), boundaries=())
        else:

            async def fetch(piece_text: str) -> Piece:
                if slots is None:
                    return await self._fetch_with_retries(piece_text, voice)
                async with slots:
                    if stopped is not None and stopped.is_set():
                        raise Stopped
                    return await self._fetch_with_retries(piece_text, voice)

            # A TaskGroup cancels the other pieces as soon as one fails for good.
            try:
                async with asyncio.TaskGroup() as group:
                    fetches = [group.create_task(fetch(t)) for t in texts]
            except BaseExceptionGroup as failed:
                raise first_cause(failed) from None
            piece = join_pieces([f.result() for f in fetches])
        return Take(
            samples=piece.samples,
            sample_rate=SAMPLE_RATE,
            engine=self.name,
            voice=voice.voice,
            boundaries=piece.boundaries,
        )

    async def _fetch_with_retries(
        self,
        text: str,
        voice: VoiceProfile,
        *,
        policy: RetryPolicy | None = None,
        connect_timeout: float | None = None,
    ) -> Piece:
        policy = policy or self.options.retry
        for attempt in range(1, policy.attempts + 1):
            try:
                return await self._fetch(text, voice, connect_timeout=connect_timeout)
            except SettingsError:
                raise
            except Exception as error:
                if classify(error) is Kind.FATAL or attempt == policy.attempts:
                    raise
                delay = policy.delay(attempt)
                log.info(
                    "edge-tts attempt %d/%d failed (%s); retrying in %.2f s",
                    attempt,
                    policy.attempts,
                    describe(error),
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    # ----------------------------------------------------------------- one request

    async def _fetch(
        self, text: str, voice: VoiceProfile, *, connect_timeout: float | None = None
    ) -> Piece:
        communicate = self._communicate(text, voice, connect_timeout)
        audio = bytearray()
        boundaries: list[Boundary] = []
        watchdog = IdleWatchdog(self.options.idle_timeout, self.options.cancel_grace)

        async def receive() -> None:
            use_endpoint(self.endpoint)  # read by edge-tts synchronously when it connects
            async with contextlib.aclosing(communicate.stream()) as stream:
                async for chunk in stream:
                    watchdog.touch()
                    if chunk["type"] == "audio":
                        audio.extend(chunk["data"])
                    elif chunk["type"] in ("SentenceBoundary", "WordBoundary"):
                        boundaries.append(
                            boundary_from_ticks(chunk["text"], chunk["offset"], chunk["duration"])
                        )

        await watchdog.run(receive())
        samples = await asyncio.to_thread(decode_mp3, bytes(audio))
        piece = Piece(samples=samples, boundaries=tuple(boundaries))
        if self.options.verify_complete:
            check_complete(text, piece)
        return piece

    def _communicate(
        self, text: str, voice: VoiceProfile, connect_timeout: float | None
    ) -> edge_tts.Communicate:
        seconds = connect_timeout if connect_timeout is not None else self.options.connect_timeout
        try:
            return edge_tts.Communicate(
                text,
                voice.voice,
                rate=voice.rate,
                volume=voice.volume,
                pitch=voice.pitch,
                boundary="SentenceBoundary",
                # edge-tts insists on ints; receive_timeout is moot (aiohttp drops socket read
                # timeouts on websockets), our idle watchdog does that job.
                connect_timeout=max(1, math.ceil(seconds)),
                receive_timeout=max(1, math.ceil(self.options.idle_timeout)),
            )
        except (TypeError, ValueError) as error:
            raise SettingsError(f"edge-tts rejects the voice settings: {error}") from None

    # ----------------------------------------------------------------- preflight

    async def _preflight(self, voice: VoiceProfile) -> None:
        probe_error, live_names = await asyncio.gather(self._probe(voice), self._live_voice_names())
        if live_names is not None and voice.voice not in live_names:
            raise SettingsError(unknown_voice_message(voice.voice))
        if probe_error is None:
            return
        if isinstance(probe_error, edge_exceptions.NoAudioReceived) and voice.voice not in (
            live_names or known_voice_names()
        ):
            raise SettingsError(unknown_voice_message(voice.voice))
        offline = offline_voice_for(voice.language) or DEFAULT_VOICE
        raise EngineUnavailable(
            f"cannot reach the edge-tts service ({describe(probe_error)}); "
            f"use the offline voice with --voice {offline}"
        )

    async def _probe(self, voice: VoiceProfile) -> BaseException | None:
        """One short request (one retry at most) within ``preflight_timeout``; the error or None."""
        options = self.options
        policy = RetryPolicy(attempts=max(1, options.preflight_attempts), base=0.5, cap=1.0)
        word = _PROBE_WORDS.get(voice.voice[:2], "Hello")
        try:
            async with asyncio.timeout(options.preflight_timeout):
                await self._fetch_with_retries(
                    word,
                    voice,
                    policy=policy,
                    connect_timeout=min(options.connect_timeout, options.preflight_timeout / 2),
                )
        except SettingsError:
            raise
        except TimeoutError:
            return ServiceStalled(f"no answer within {options.preflight_timeout:g} s")
        except Exception as error:
            return error
        return None

    async def _live_voice_names(self) -> frozenset[str] | None:
        """Names on the live voice list, or None if the list cannot be had quickly."""
        try:
            voices = await list_voices_live(
                endpoint=self.endpoint,
                timeout=min(self.options.list_timeout, self.options.preflight_timeout),
            )
        except Exception as error:
            log.info("edge-tts voice list unavailable during preflight: %s", describe(error))
            return None
        return frozenset(str(v.get("ShortName", "")) for v in voices)


def _symbol_reading(char: str) -> Reading:
    return Reading.UNSAID if is_emoji(char) else Reading.SAID


def _edge_tts_version() -> str:
    try:
        return metadata.version("edge-tts")
    except metadata.PackageNotFoundError:  # vendored or odd install: fall back to the module
        return str(getattr(edge_tts, "__version__", "unknown"))
