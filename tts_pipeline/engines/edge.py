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
* utterances that still fail → SynthesisError once ``max_consecutive_failures`` fail in a row, or
  at the end; every finished take has been yielded before.

The service is unofficial (Microsoft Edge's read-aloud endpoint): it may change or disappear; the
offline voice is always the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import edge_tts
from edge_tts import exceptions as edge_exceptions
from edge_tts.data_classes import TTSConfig

from tts_pipeline.engines.base import Boundary, Speakability, SynthesisRequest, Take
from tts_pipeline.engines.edge_audio import (
    SAMPLE_RATE,
    Piece,
    boundary_from_ticks,
    check_complete,
    decode_mp3,
    join_pieces,
    silence,
)
from tts_pipeline.engines.edge_bridge import BackgroundRun, Emit
from tts_pipeline.engines.edge_endpoint import describe_endpoint, resolve_endpoint, use_endpoint
from tts_pipeline.engines.edge_retry import Kind, RetryPolicy, ServiceStalled, classify, describe
from tts_pipeline.engines.edge_text import MAX_CHARS, clean_text, is_emoji, split_for_service
from tts_pipeline.engines.edge_voices import (
    known_voice_names,
    list_voices_live,
    run_sync,
)
from tts_pipeline.engines.edge_voices import list_voices as _list_voices
from tts_pipeline.engines.speakable import Reading, assess, by_script
from tts_pipeline.errors import EngineUnavailable, SettingsError, SynthesisError
from tts_pipeline.voices import (
    DEFAULT_VOICE,
    EDGE_VOICE_RE,
    VoiceProfile,
    offline_voice_for,
    validate_pitch,
    validate_rate,
    validate_volume,
)

__all__ = ["EdgeEngine", "EdgeOptions", "RetryPolicy", "list_voices", "list_voices_live"]

log = logging.getLogger(__name__)

# Short names as the voice list spells them: zh-CN-YunyangNeural, zh-CN-liaoning-XiaobeiNeural.
# Strict on purpose: the name is pasted into an SSML attribute by edge-tts.
VOICE_NAME_RE = EDGE_VOICE_RE

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
        proxy: str | None = None,
        options: EdgeOptions | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)  # None: the real service
        self.proxy = proxy
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
        fail for good, SynthesisError is raised after every finished take has been yielded.
        """
        validate_voice(voice)
        return self._iterate(list(requests), voice, max(1, int(jobs)))

    def list_voices(
        self, locale: str | None = None, gender: str | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        return _list_voices(
            locale,
            gender,
            endpoint=self.endpoint,
            proxy=self.proxy,
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
        state = _BatchState(total=len(requests), limit=self.options.max_consecutive_failures)
        semaphore = asyncio.Semaphore(jobs)

        async def worker(request: SynthesisRequest) -> None:
            # ``jobs`` bounds the requests in flight, not the utterances: the pieces of a long
            # utterance go out side by side, in document order with everything else.
            if state.stopped.is_set():
                return
            try:
                take = await self._synthesize_one(request.text, voice, semaphore, state.stopped)
            except _Stopped:
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
        await _until_done_or_stopped(tasks, state.stopped)
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
                        raise _Stopped
                    return await self._fetch_with_retries(piece_text, voice)

            # A TaskGroup cancels the other pieces as soon as one fails for good.
            try:
                async with asyncio.TaskGroup() as group:
                    fetches = [group.create_task(fetch(t)) for t in texts]
            except BaseExceptionGroup as failed:
                raise _first_cause(failed) from None
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
        watchdog = _IdleWatchdog(self.options.idle_timeout, self.options.cancel_grace)

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
                proxy=self.proxy,
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
            raise SettingsError(_unknown_voice_message(voice.voice))
        if probe_error is None:
            return
        if isinstance(probe_error, edge_exceptions.NoAudioReceived) and voice.voice not in (
            live_names or known_voice_names()
        ):
            raise SettingsError(_unknown_voice_message(voice.voice))
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
                proxy=self.proxy,
                timeout=min(self.options.list_timeout, self.options.preflight_timeout),
            )
        except Exception as error:
            log.info("edge-tts voice list unavailable during preflight: %s", describe(error))
            return None
        return frozenset(str(v.get("ShortName", "")) for v in voices)


# --------------------------------------------------------------------- module-level API


def list_voices(
    locale: str | None = None,
    gender: str | None = None,
    *,
    endpoint: str | None = None,
    timeout: float = 5.0,
) -> tuple[list[dict[str, Any]], str]:
    """Voices filtered by locale/gender and their source: ``"live"`` or ``"snapshot"``."""
    return _list_voices(locale, gender, endpoint=endpoint, timeout=timeout)


def _symbol_reading(char: str) -> Reading:
    return Reading.UNSAID if is_emoji(char) else Reading.SAID


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


def _unknown_voice_message(name: str) -> str:
    return f"unknown edge voice {name!r}; see the voice list with `tts-pipeline voices`"


def _edge_tts_version() -> str:
    try:
        return metadata.version("edge-tts")
    except metadata.PackageNotFoundError:  # vendored or odd install: fall back to the module
        return str(getattr(edge_tts, "__version__", "unknown"))


# --------------------------------------------------------------------- helpers


class _IdleWatchdog:
    """Run a coroutine as a task; cancel it when no progress was reported for ``idle`` seconds.

    aiohttp does not apply socket read timeouts to websockets and edge-tts sets no receive
    timeout, so a service that accepts the request and then goes quiet would hang forever.
    """

    def __init__(self, idle: float, grace: float) -> None:
        self._idle = idle
        self._grace = grace
        self._last = 0.0

    def touch(self) -> None:
        self._last = asyncio.get_running_loop().time()

    async def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        loop = asyncio.get_running_loop()
        self._last = loop.time()
        task = asyncio.ensure_future(coroutine)
        try:
            while True:
                remaining = self._last + self._idle - loop.time()
                if remaining <= 0:
                    raise ServiceStalled(f"no data from the service for {self._idle:g} s")
                done, _ = await asyncio.wait({task}, timeout=remaining)
                if done:
                    task.result()
                    return
        finally:
            if not task.done():
                await _cancel_and_wait(task, self._grace)


async def _cancel_and_wait(task: asyncio.Future[Any], grace: float) -> None:
    """Cancel a task and give it ``grace`` seconds to clean up; cancel again if it lingers (a
    websocket close handshake with a silent peer would otherwise wait 10 s)."""
    for _ in range(2):
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if done:
            break
    if task.done() and not task.cancelled():
        task.exception()  # mark as retrieved: the failure that matters is already reported


async def _until_done_or_stopped(tasks: list[asyncio.Task[None]], stopped: asyncio.Event) -> None:
    """Wait for all tasks, or until ``stopped`` is set; cancel whatever still runs either way."""
    stop_waiter = asyncio.create_task(stopped.wait())
    try:
        pending: set[asyncio.Future[Any]] = {*tasks, stop_waiter}
        while pending and not stop_waiter.done():
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if not any(task in pending for task in tasks):
                break
    finally:
        stop_waiter.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, stop_waiter, return_exceptions=True)


@dataclass
class _BatchState:
    """Counts of finished and failed utterances, and the decision to stop."""

    total: int
    limit: int
    finished: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    in_a_row: int = 0
    fatal: SettingsError | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def record_success(self) -> None:
        self.finished += 1
        self.in_a_row = 0

    def record_failure(self, index: int, reason: str) -> None:
        if self.stopped.is_set():  # a request in flight when the run stopped: not another try
            return
        self.failures.append((index, reason))
        self.in_a_row += 1
        if self.in_a_row >= self.limit:
            self.stopped.set()

    def abort(self, error: SettingsError) -> None:
        self.fatal = self.fatal or error
        self.stopped.set()

    def raise_outcome(self) -> None:
        if self.fatal is not None:
            raise self.fatal
        if not self.failures:
            return
        kept = (
            f"{self.finished} of {self.total} utterances finished and are kept; "
            "rerun the same command to resume"
        )
        last_index, last_reason = self.failures[-1]
        if self.stopped.is_set():
            raise SynthesisError(
                f"edge-tts failed {self.in_a_row} utterances in a row, stopped "
                f"(last: utterance {last_index}: {last_reason}); {kept}"
            )
        first_index, first_reason = self.failures[0]
        raise SynthesisError(
            f"edge-tts could not synthesize {len(self.failures)} utterance(s) "
            f"(first: utterance {first_index}: {first_reason}); {kept}"
        )


class _Stopped(Exception):
    """The batch stopped before this piece was sent."""


def _first_cause(group: BaseExceptionGroup) -> BaseException:
    """The error to report for a failed utterance: a settings error first, else the first
    failure that is not a stop or a cancellation."""
    leaves: list[BaseException] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                walk(inner)
        else:
            leaves.append(error)

    walk(group)
    for kind in (SettingsError, Exception):
        for error in leaves:
            if isinstance(error, kind) and not isinstance(error, _Stopped):
                return error
    return leaves[0] if leaves else group
