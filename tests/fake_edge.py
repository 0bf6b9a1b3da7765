"""A local stand-in for Microsoft Edge's read-aloud TTS service, speaking the protocol that
edge-tts 7.x speaks, with real MP3 audio and fault injection.

What the real client does (edge_tts/communicate.py) and what this fake checks and answers:

* GET ``…/edge/v1?TrustedClientToken=…&ConnectionId=…&Sec-MS-GEC=…&Sec-MS-GEC-Version=…`` upgraded
  to a websocket. ``Sec-MS-GEC`` is a token derived from the client's clock (5-minute buckets);
  when it does not match this server's clock the answer is HTTP 403 with a ``Date`` header, which
  edge-tts uses to correct ``DRM.clock_skew_seconds`` before retrying once.
* Two text frames from the client: ``Path:speech.config`` (JSON: output format, which boundaries
  it wants) and ``Path:ssml`` (with ``X-RequestId``; SSML ``<speak><voice name=…><prosody pitch=…
  rate=… volume=…>text</prosody></voice></speak>``).
* Answers: text frames ``Path:turn.start``, ``Path:audio.metadata`` (JSON ``{"Metadata": [{"Type":
  "SentenceBoundary", "Data": {"Offset", "Duration" (100-ns ticks), "text": {"Text", …}}}]}``) and
  ``Path:turn.end``; binary frames ``[2-byte big-endian header length][headers ending in CRLF with
  Path:audio and Content-Type:audio/mpeg][MP3 bytes]``, in 720-byte chunks like the real service,
  and a last audio frame without Content-Type and without data.
* An unknown voice gets ``turn.start`` then ``turn.end`` and no audio (the real service returns
  nothing for voices it does not serve, see rany2/edge-tts#291); so does text with no letters or
  digits.
* ``GET …/voices/list?trustedclienttoken=…&Sec-MS-GEC=…`` returns the voice list JSON.

The audio is a deterministic tone: its frequency comes from a hash of the text (plus the pitch
offset), its length from the number of letters/digits (divided by the rate), its amplitude from the
volume; each sentence is one boundary. ``plan_audio`` tells a test what to expect.

Run standalone: ``uv run python tests/fake_edge.py --port 0 --latency 0.3 --speed 10`` prints the
URL to put in ``TTS_PIPELINE_EDGE_URL`` and serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np
from aiohttp import WSMsgType, web
from edge_tts.constants import TRUSTED_CLIENT_TOKEN
from edge_tts.drm import generate_sec_ms_gec_v2

if TYPE_CHECKING:
    import pytest

ROOT = "/consumer/speech/synthesize/readaloud"
WS_PATH = f"{ROOT}/edge/v1"
VOICES_PATH = f"{ROOT}/voices/list"

SAMPLE_RATE = 24_000
BITRATE = 48_000
CHUNK_BYTES = 720  # what the real service sends per binary frame (0.12 s of audio)
SECONDS_PER_CHAR = 0.1  # audio per letter or digit, at rate +0%
LEAD_SECONDS = 0.1  # silence before the first sentence, as real voices have
TAIL_SECONDS = 0.1
TICKS = 10_000_000
TOKEN_BUCKET = 300  # Sec-MS-GEC changes every 5 minutes
SSML_NS = "{http://www.w3.org/2001/10/synthesis}"

HANDSHAKE_FAULTS = frozenset({"forbidden", "unavailable"})
STREAM_FAULTS = frozenset({"latency", "close", "drop", "no_audio", "stall", "garbage"})
_SENTENCE = re.compile(r"[^。！？；.!?;]*[。！？；.!?;]+|[^。！？；.!?;]+$")

# Proxy settings that would route a client around the fake (both cases are honoured).
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY", "NO_PROXY")


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every proxy setting (upper and lower case) for the duration of a test."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


# ------------------------------------------------------------------------- faults and records


@dataclass
class Fault:
    """One misbehaviour, for the requests it matches.

    kind: ``forbidden`` (403 at the handshake, with the true ``Date``), ``unavailable`` (503 at the
    handshake), ``latency`` (``seconds`` more before the first frame), ``close`` (close frame after
    ``at`` of the audio), ``drop`` (TCP connection torn down after ``at`` of the audio),
    ``no_audio`` (turn.start, turn.end, nothing else), ``stall`` (go quiet after ``at`` of the
    audio for ``seconds``, still answering close frames), ``garbage`` (an unknown ``Path``).
    text: only requests whose text contains this (stream faults only: the handshake comes
    before the text). requests: only these connection numbers (1-based). times: how many matching
    requests get the fault (None: all of them).
    """

    kind: str
    text: str | None = None
    requests: frozenset[int] | None = None
    times: int | None = 1
    seconds: float = 0.0
    at: float = 0.5
    used: int = 0

    def __post_init__(self) -> None:
        if self.kind not in HANDSHAKE_FAULTS | STREAM_FAULTS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.kind in HANDSHAKE_FAULTS and self.text is not None:
            raise ValueError("handshake faults cannot match on text (it is not sent yet)")
        if self.kind == "stall" and self.seconds <= 0:
            self.seconds = 3600.0

    def matches(self, number: int, text: str | None) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        if self.requests is not None and number not in self.requests:
            return False
        return self.text is None or (text is not None and self.text in text)


@dataclass(frozen=True)
class Handshake:
    number: int
    status: int  # 101 (accepted), 403, 503
    reason: str
    query: dict[str, str]


@dataclass(frozen=True)
class Request:
    """One SSML request as the fake understood it."""

    number: int
    request_id: str
    voice: str  # short name, e.g. zh-CN-YunyangNeural
    rate: str
    pitch: str
    volume: str
    text: str  # the text content of the SSML, XML-unescaped
    ssml: str
    well_formed: bool
    config: dict[str, Any]
    outcome: str  # "audio", "no_audio", "unknown_voice", "silent_text", or the fault kind


# ------------------------------------------------------------------------- the audio


@dataclass(frozen=True)
class AudioPlan:
    """What the fake speaks for a text: a tone split into sentences (times in seconds)."""

    frequency: float
    amplitude: float
    sentences: tuple[tuple[str, float, float], ...]  # (text, start, duration)
    duration: float  # total, including lead and tail silence


def letters(text: str) -> int:
    return sum(1 for c in text if unicodedata.category(c)[0] in ("L", "N"))


def plan_audio(text: str, rate: str = "+0%", pitch: str = "+0Hz", volume: str = "+0%") -> AudioPlan:
    """The audio the fake returns for ``text`` with these prosody settings."""
    speed = max(0.1, 1 + int(rate.rstrip("%")) / 100)
    digest = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
    frequency = 220 + digest % 440 + int(pitch.removesuffix("Hz"))
    amplitude = min(0.9, 0.3 * max(0.0, 1 + int(volume.rstrip("%")) / 100))
    sentences: list[tuple[str, float, float]] = []
    clock = LEAD_SECONDS
    for sentence in _SENTENCE.findall(text):
        count = letters(sentence)
        if count == 0:
            continue  # punctuation-only leftovers belong to no sentence
        length = round(count * SECONDS_PER_CHAR / speed, 3)
        sentences.append((sentence.strip(), clock, length))
        clock += length
    duration = clock + TAIL_SECONDS if sentences else 0.0
    return AudioPlan(float(frequency), amplitude, tuple(sentences), duration)


def render_samples(plan: AudioPlan) -> np.ndarray:
    samples = np.zeros(round(plan.duration * SAMPLE_RATE), dtype=np.float32)
    for _, start, length in plan.sentences:
        first, count = round(start * SAMPLE_RATE), round(length * SAMPLE_RATE)
        t = np.arange(count, dtype=np.float64) / SAMPLE_RATE
        samples[first : first + count] = plan.amplitude * np.sin(2 * np.pi * plan.frequency * t)
    return samples


@lru_cache(maxsize=512)
def encode_mp3(text: str, rate: str, pitch: str, volume: str) -> bytes:
    """MP3 as the service sends it: 24 kHz mono 48 kbit/s CBR frames, no ID3 or Xing header."""
    import imageio_ffmpeg

    pcm = render_samples(plan_audio(text, rate, pitch, volume)).tobytes()
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-nostdin", "-loglevel", "error"),
        *("-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"),
        *("-c:a", "libmp3lame", "-b:a", "48k", "-ar", str(SAMPLE_RATE), "-ac", "1"),
        *("-id3v2_version", "0", "-write_xing", "0", "-f", "mp3", "pipe:1"),
    ]
    result = subprocess.run(command, input=pcm, capture_output=True, check=True, timeout=60)
    return result.stdout


# ------------------------------------------------------------------------- protocol helpers


def parse_text_frame(data: str) -> tuple[dict[str, str], str]:
    head, _, body = data.partition("\r\n\r\n")
    headers = {}
    for line in head.split("\r\n"):
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    return headers, body


def text_frame(request_id: str, path: str, body: str, content_type: str) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return (
        f"X-RequestId:{request_id}\r\nContent-Type:{content_type}\r\n"
        f"X-Timestamp:{stamp}\r\nPath:{path}\r\n\r\n{body}"
    )


def audio_frame(request_id: str, data: bytes) -> bytes:
    content_type = "Content-Type:audio/mpeg\r\n" if data else ""
    header = f"X-RequestId:{request_id}\r\n{content_type}Path:audio\r\n".encode()
    return len(header).to_bytes(2, "big") + header + data


def metadata_body(sentence: str, start: float, length: float) -> str:
    item = {
        "Type": "SentenceBoundary",
        "Data": {
            "Offset": round(start * TICKS),
            "Duration": round(length * TICKS),
            # As it appeared in the SSML (escaped); edge-tts unescapes it.
            "text": {"Text": escape(sentence), "Length": len(sentence), "BoundaryType": "Sentence"},
        },
    }
    return json.dumps({"Metadata": [item]}, ensure_ascii=False)


def voice_short_name(long_name: str) -> str:
    """ "Microsoft Server Speech Text to Speech Voice (zh-CN, YunyangNeural)" → short name."""
    match = re.fullmatch(r"Microsoft Server Speech Text to Speech Voice \((.+), (.+)\)", long_name)
    return f"{match.group(1)}-{match.group(2)}" if match else long_name


def parse_ssml(ssml: str) -> tuple[str, str, str, str, str]:
    """(voice, rate, pitch, volume, text); raises ET.ParseError or ValueError."""
    root = ET.fromstring(ssml)
    voice = root.find(f"{SSML_NS}voice")
    prosody = voice.find(f"{SSML_NS}prosody") if voice is not None else None
    if voice is None or prosody is None:
        raise ValueError("SSML without <voice><prosody>")
    text = "".join(prosody.itertext())
    return (
        voice_short_name(voice.get("name", "")),
        prosody.get("rate", ""),
        prosody.get("pitch", ""),
        prosody.get("volume", ""),
        text,
    )


def token_is_valid(token: str, now: float) -> bool:
    """The real service accepts the token of its current 5-minute bucket; allow a neighbour
    on each side for requests made right at a bucket edge."""
    return any(token == generate_sec_ms_gec_v2(now + step * TOKEN_BUCKET) for step in (-1, 0, 1))


def default_voices() -> list[dict[str, Any]]:
    path = Path(__file__).resolve().parents[1] / "tts_pipeline" / "data" / "edge_voices.json"
    return json.loads(path.read_text("utf-8"))["voices"]


# ------------------------------------------------------------------------- the service


@dataclass
class _Counters:
    connections: int = 0
    active: int = 0
    peak_active: int = 0  # most turns served at the same time
    handshakes: list[Handshake] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)


class FakeEdgeService:
    """The fake service on 127.0.0.1, in its own thread and event loop.

    ``with FakeEdgeService(latency=0.3, speed=10) as fake: … fake.url …``
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        speed: float = 10.0,
        clock_offset: float = 0.0,
        faults: list[Fault] | tuple[Fault, ...] = (),
        voices: list[dict[str, Any]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency = latency  # seconds from the SSML to turn.start
        self.speed = speed  # audio streamed at this many times real time (0: no pacing)
        self.clock_offset = clock_offset  # this server's clock minus the real one
        self.faults: list[Fault] = list(faults)
        self.voices = voices if voices is not None else default_voices()
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._counters = _Counters()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeEdgeService:
        self._thread = threading.Thread(target=self._serve, name="fake-edge", daemon=True)
        self._thread.start()
        if not self._started.wait(10) or self._startup_error is not None:
            raise RuntimeError(f"fake edge service did not start: {self._startup_error}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    def __enter__(self) -> FakeEdgeService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:
            self._startup_error = error
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _startup(self) -> None:
        app = web.Application()
        app.router.add_get(WS_PATH, self._synthesis_endpoint)
        app.router.add_get(VOICES_PATH, self._voices_endpoint)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=5)
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- what tests look at

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The websocket endpoint, ready for TTS_PIPELINE_EDGE_URL."""
        return f"ws://{self._host}:{self._port}{WS_PATH}?TrustedClientToken={TRUSTED_CLIENT_TOKEN}"

    @property
    def voices_url(self) -> str:
        return f"http://{self._host}:{self._port}{VOICES_PATH}"

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._counters.requests)

    @property
    def handshakes(self) -> list[Handshake]:
        with self._lock:
            return list(self._counters.handshakes)

    @property
    def active_connections(self) -> int:
        with self._lock:
            return self._counters.active

    @property
    def peak_connections(self) -> int:
        with self._lock:
            return self._counters.peak_active

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    # ---------------------------------------------------------------- HTTP side

    def _server_now(self) -> float:
        return time.time() + self.clock_offset

    def _forbidden(self) -> web.Response:
        return web.Response(
            status=403, headers={"Date": formatdate(self._server_now(), usegmt=True)}
        )

    def _take_fault(self, number: int, text: str | None, kinds: frozenset[str]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.matches(number, text):
                    fault.used += 1
                    return fault
        return None

    def _record_handshake(self, number: int, status: int, reason: str, query: dict) -> None:
        with self._lock:
            self._counters.handshakes.append(Handshake(number, status, reason, dict(query)))

    async def _voices_endpoint(self, request: web.Request) -> web.StreamResponse:
        if not token_is_valid(request.query.get("Sec-MS-GEC", ""), self._server_now()):
            return self._forbidden()
        return web.json_response(self.voices)

    async def _synthesis_endpoint(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self._counters.connections += 1
            number = self._counters.connections
        query = dict(request.query)
        if "TrustedClientToken" not in query or "ConnectionId" not in query:
            self._record_handshake(number, 400, "missing query parameters", query)
            return web.Response(status=400)
        if not token_is_valid(query.get("Sec-MS-GEC", ""), self._server_now()):
            self._record_handshake(number, 403, "clock skew", query)
            return self._forbidden()
        fault = self._take_fault(number, None, HANDSHAKE_FAULTS)
        if fault is not None and fault.kind == "forbidden":
            self._record_handshake(number, 403, "fault", query)
            return self._forbidden()
        if fault is not None and fault.kind == "unavailable":
            self._record_handshake(number, 503, "fault", query)
            return web.Response(status=503, text="Service Unavailable")
        self._record_handshake(number, 101, "accepted", query)
        return await self._websocket(request, number)

    async def _websocket(self, request: web.Request, number: int) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        task = asyncio.current_task()
        assert task is not None
        with self._lock:
            self._counters.active += 1
            self._counters.peak_active = max(self._counters.peak_active, self._counters.active)
            self._handlers.add(task)
        try:
            await self._serve_turn(request, ws, number)
        except (TimeoutError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, went quiet, or the server is stopping
        finally:
            with self._lock:
                self._counters.active -= 1
                self._handlers.discard(task)
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
        return ws

    # ---------------------------------------------------------------- one turn

    async def _receive_text(self, ws: web.WebSocketResponse) -> str | None:
        """The next text frame, or None if the client closed or sent something else."""
        message = await ws.receive(timeout=30)
        return message.data if message.type == WSMsgType.TEXT else None

    async def _serve_turn(
        self, request: web.Request, ws: web.WebSocketResponse, number: int
    ) -> None:
        config_frame = await self._receive_text(ws)
        ssml_frame = await self._receive_text(ws)
        if config_frame is None or ssml_frame is None:
            return
        config_headers, config_body = parse_text_frame(config_frame)
        headers, ssml = parse_text_frame(ssml_frame)
        if config_headers.get("Path") != "speech.config" or headers.get("Path") != "ssml":
            return
        request_id = headers.get("X-RequestId", "")
        try:
            voice, rate, pitch, volume, text = parse_ssml(ssml)
            well_formed = True
        except (ET.ParseError, ValueError):
            voice = rate = pitch = volume = text = ""
            well_formed = False
        fault = self._take_fault(number, text, STREAM_FAULTS) if well_formed else None
        outcome = self._outcome(well_formed, voice, text, fault)
        with self._lock:
            self._counters.requests.append(
                Request(
                    number=number,
                    request_id=request_id,
                    voice=voice,
                    rate=rate,
                    pitch=pitch,
                    volume=volume,
                    text=text,
                    ssml=ssml,
                    well_formed=well_formed,
                    config=_json_or_empty(config_body),
                    outcome=outcome,
                )
            )
        if not well_formed or not request_id:
            await ws.close(code=1007, message=b"malformed request")
            return
        extra = fault.seconds if fault is not None and fault.kind == "latency" else 0.0
        await asyncio.sleep(self.latency + extra)
        start_body = json.dumps({"context": {"serviceTag": uuid.uuid4().hex}})
        await ws.send_str(text_frame(request_id, "turn.start", start_body, "application/json"))
        if fault is not None and fault.kind == "garbage":
            await ws.send_str(text_frame(request_id, "surprise", "{}", "application/json"))
        elif outcome == "audio" or (fault is not None and fault.kind in ("close", "drop", "stall")):
            stopped = await self._stream_audio(
                request, ws, request_id, (rate, pitch, volume), text, fault
            )
            if stopped:
                return
        await ws.send_str(text_frame(request_id, "turn.end", "{}", "application/json"))
        # Give the client time to close; edge-tts closes right after turn.end.
        await ws.receive(timeout=5)

    def _outcome(self, well_formed: bool, voice: str, text: str, fault: Fault | None) -> str:
        if not well_formed:
            return "malformed"
        if fault is not None and fault.kind != "latency":
            return fault.kind
        if voice not in {v["ShortName"] for v in self.voices}:
            return "unknown_voice"
        if not plan_audio(text).sentences:
            return "silent_text"
        return "audio"

    async def _stream_audio(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        request_id: str,
        prosody: tuple[str, str, str],
        text: str,
        fault: Fault | None,
    ) -> bool:
        """Send metadata and audio; True if a fault ended the turn early."""
        plan = plan_audio(text, *prosody)
        mp3 = await asyncio.get_running_loop().run_in_executor(None, encode_mp3, text, *prosody)
        cut = len(mp3) + 1
        if fault is not None and fault.kind in ("close", "drop", "stall"):
            cut = int(len(mp3) * min(max(fault.at, 0.0), 1.0))
        bytes_per_second = BITRATE / 8
        pending = list(plan.sentences)
        for offset in range(0, len(mp3), CHUNK_BYTES):
            # Each sentence's boundary goes out just before the audio where it starts.
            while pending and pending[0][1] * bytes_per_second <= offset + CHUNK_BYTES:
                body = metadata_body(*pending.pop(0))
                await ws.send_str(
                    text_frame(request_id, "audio.metadata", body, "application/json")
                )
            if offset >= cut:
                await self._misbehave(request, ws, fault)
                return True
            chunk = mp3[offset : offset + CHUNK_BYTES]
            await ws.send_bytes(audio_frame(request_id, chunk))
            if self.speed > 0:
                await asyncio.sleep(len(chunk) / bytes_per_second / self.speed)
        if cut <= len(mp3):
            await self._misbehave(request, ws, fault)
            return True
        await ws.send_bytes(audio_frame(request_id, b""))
        return False

    async def _misbehave(
        self, request: web.Request, ws: web.WebSocketResponse, fault: Fault | None
    ) -> None:
        assert fault is not None
        if fault.kind == "close":
            await ws.close()
        elif fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
        elif fault.kind == "stall":
            # Quiet, but like a real server's websocket layer still answers a close frame.
            deadline = asyncio.get_running_loop().time() + fault.seconds
            while not ws.closed:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    message = await ws.receive(timeout=remaining)
                except TimeoutError:
                    break
                if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                    break


def _json_or_empty(body: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------------- standalone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the fake edge-tts service.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to first frame")
    parser.add_argument("--speed", type=float, default=10.0, help="x real time (0: no pacing)")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="server clock skew, s")
    args = parser.parse_args(argv)
    service = FakeEdgeService(
        latency=args.latency, speed=args.speed, clock_offset=args.clock_offset, port=args.port
    )
    with service:
        print(service.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
