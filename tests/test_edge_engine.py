"""The edge engine against a local fake of the service (tests/fake_edge.py), through the real
edge-tts client code. No network."""

from __future__ import annotations

import asyncio
import copy
import signal
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from edge_tts.drm import DRM

from tts_pipeline.engines.base import SynthesisRequest, Take
from tts_pipeline.engines.edge.endpoint import ENV_VAR, normalize_endpoint, voice_list_url
from tts_pipeline.engines.edge.engine import EdgeEngine, EdgeOptions
from tts_pipeline.engines.edge.retry import Kind, RetryPolicy, classify
from tts_pipeline.engines.edge.text import clean_text, is_speakable, split_for_service
from tts_pipeline.engines.edge.voices import list_voices
from tts_pipeline.engines.registry import get_engine
from tts_pipeline.errors import EngineStopped, EngineUnavailable, SettingsError, SynthesisError
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.progress import NoProgress
from tts_pipeline.synthesis.run import run_engine
from tts_pipeline.synthesis.store import MemoryStore, TakeStore
from tts_pipeline.voices import VoiceProfile

try:  # tests/ may or may not be a package; the fake works either way
    from tests.fake_edge import FakeEdgeService, Fault, plan_audio
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest imports this file
    from fake_edge import FakeEdgeService, Fault, plan_audio  # type: ignore[no-redef]

# Tiny backoffs and timeouts so that every fault costs milliseconds, not seconds.
FAST = EdgeOptions(
    retry=RetryPolicy(attempts=4, base=0.01, factor=2.0, cap=0.05),
    idle_timeout=2.0,
    cancel_grace=0.5,
    preflight_timeout=3.0,
)

TEXTS = [
    "大家好，欢迎来到今天的活动。",
    "第一，我们要坚持学习！",
    "第二，我们要关心同学；互相帮助。",
    "总之，未来属于你们。",
    "谢谢大家！",
    "Hello world. This is a test.",
]


def engine_for(service: FakeEdgeService, options: EdgeOptions = FAST) -> EdgeEngine:
    return EdgeEngine(endpoint=service.url, options=options)


def profile(voice: str = "zh-CN-YunyangNeural", **settings: str) -> VoiceProfile:
    return VoiceProfile(
        name="test", engine="edge", voice=voice, display_name=voice, language="zh-CN", **settings
    )


def unchecked(voice: VoiceProfile, **fields: str) -> VoiceProfile:
    """A profile with settings VoiceProfile itself would refuse (to test the engine's checks)."""
    broken = copy.copy(voice)
    for key, value in fields.items():
        object.__setattr__(broken, key, value)
    return broken


def requests_for(texts: list[str]) -> list[SynthesisRequest]:
    return [SynthesisRequest(index=i, text=text) for i, text in enumerate(texts)]


def run(engine: EdgeEngine, texts: list[str], voice: VoiceProfile, jobs: int = 1) -> dict:
    return dict(engine.synthesize(requests_for(texts), voice, jobs))


def dominant_frequency(samples: np.ndarray, sample_rate: int = 24_000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * sample_rate / len(samples))


def assert_take_matches(take: Take, text: str, **prosody: str) -> None:
    """The take holds the fake's audio for exactly this text and these settings."""
    plan = plan_audio(clean_text(text), **prosody)
    assert take.sample_rate == 24_000
    assert take.samples.dtype == np.float32
    assert take.engine == "edge"
    # MP3 adds encoder delay and padding (~50 ms); nothing else may differ.
    assert abs(take.duration - plan.duration) < 0.12, (take.duration, plan.duration)
    assert abs(dominant_frequency(take.samples) - plan.frequency) < 3.0
    assert [b.text for b in take.boundaries] == [s[0] for s in plan.sentences]
    for boundary, (_, start, length) in zip(take.boundaries, plan.sentences, strict=True):
        assert boundary.start == pytest.approx(start, abs=1e-3)
        assert boundary.end == pytest.approx(start + length, abs=1e-3)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def edge_threads_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tts-edge") and t.is_alive()]


# --------------------------------------------------------------------------- clean runs


def test_clean_run_with_jobs_4_gives_each_utterance_its_own_audio(fake: FakeEdgeService) -> None:
    # Different delays per utterance make the completion order differ from the plan order.
    for delay, text in zip((0.3, 0.0, 0.2, 0.0, 0.1, 0.0), TEXTS, strict=True):
        fake.add_fault(Fault("latency", text=text, seconds=delay))
    engine = engine_for(fake)

    order = [index for index, _ in engine.synthesize(requests_for(TEXTS), profile(), jobs=4)]
    takes = run(engine, TEXTS, profile(), jobs=4)

    assert sorted(order) == list(range(len(TEXTS)))
    assert order != sorted(order)  # yielded as they finished, not in plan order
    for index, text in enumerate(TEXTS):
        assert_take_matches(takes[index], text)
        assert takes[index].voice == "zh-CN-YunyangNeural"
    assert sorted(r.text for r in fake.requests) == sorted(TEXTS * 2)
    assert all(
        r.config["context"]["synthesis"]["audio"]["metadataoptions"]
        == {
            "sentenceBoundaryEnabled": "true",
            "wordBoundaryEnabled": "false",
        }
        for r in fake.requests
    )


def test_voice_settings_reach_the_service(fake: FakeEdgeService) -> None:
    voice = profile("zh-CN-XiaoxiaoNeural", rate="+50%", pitch="+20Hz", volume="-50%")
    take = run(engine_for(fake), [TEXTS[0]], voice)[0]

    (request,) = fake.requests
    assert (request.voice, request.rate, request.pitch, request.volume) == (
        "zh-CN-XiaoxiaoNeural",
        "+50%",
        "+20Hz",
        "-50%",
    )
    assert_take_matches(take, TEXTS[0], rate="+50%", pitch="+20Hz", volume="-50%")
    assert float(np.max(np.abs(take.samples))) == pytest.approx(0.15, abs=0.03)


def test_check_passes_with_one_tiny_request(fake: FakeEdgeService) -> None:
    engine_for(fake).check(profile())
    assert [r.text for r in fake.requests] == ["你好"]


# --------------------------------------------------------------------------- faults


RECOVERABLE = {
    "403 twice (edge-tts retries once itself)": Fault("forbidden", requests=frozenset({1, 2})),
    "503 at the handshake": Fault("unavailable", times=2),
    "close frame mid-stream": Fault("close", text="第二", times=2, at=0.5),
    "close before any audio": Fault("close", text="第二", at=0.0),
    "TCP connection dropped mid-stream": Fault("drop", text="第二", times=2, at=0.4),
    "turn.end without audio": Fault("no_audio", text="第二", times=2),
    "stall past the idle timeout": Fault("stall", text="第二", at=0.3),
    "unknown Path in a text frame": Fault("garbage", text="第二"),
    "slow first byte": Fault("latency", text="第二", seconds=0.6),
}


@pytest.mark.parametrize("fault", RECOVERABLE.values(), ids=RECOVERABLE.keys())
def test_transient_faults_are_retried_to_the_same_audio(
    fake: FakeEdgeService, fault: Fault
) -> None:
    fake.add_fault(fault)
    engine = engine_for(fake)
    texts = TEXTS[:3]

    takes = run(engine, texts, profile(), jobs=2)
    clean = run(engine, texts, profile(), jobs=2)  # the fault is used up by now

    assert fault.used == (fault.times or 1)
    for index, text in enumerate(texts):
        assert_take_matches(takes[index], text)
        assert np.array_equal(takes[index].samples, clean[index].samples)


def test_server_clock_skew_is_corrected_by_edge_tts() -> None:
    with FakeEdgeService(clock_offset=3600.0, speed=0.0) as service:
        take = run(engine_for(service), [TEXTS[0]], profile())[0]
        statuses = [(h.status, h.reason) for h in service.handshakes]

    assert_take_matches(take, TEXTS[0])
    assert statuses == [(403, "clock skew"), (101, "accepted")]
    assert DRM.clock_skew_seconds == pytest.approx(3600.0, abs=5.0)


def run_pipeline(
    engine: EdgeEngine, texts: list[str], store: TakeStore, jobs: int
) -> tuple[list[str], SynthesisError]:
    """Synthesize ``texts`` as a render does (run_engine: each take stored as it arrives) until
    the engine fails: the keys stored, and the error."""
    missing = {f"key{i}": SynthesisRequest(i, text) for i, text in enumerate(texts)}
    stored: list[str] = []
    with pytest.raises(SynthesisError) as caught:
        run_engine(engine, profile(), missing, list(missing), store, jobs, NoProgress(), stored)
    return stored, caught.value


def test_service_down_stops_after_three_failures_in_a_row(
    fake: FakeEdgeService, tmp_path: Path
) -> None:
    fake.add_fault(Fault("unavailable", times=None))
    stored, error = run_pipeline(engine_for(fake), TEXTS, TakeCache(tmp_path), jobs=2)

    message = str(error)
    assert stored == []
    assert type(error) is SynthesisError  # run_engine says it again, with the counts
    assert error.exit_code == 4
    assert "failed 3 utterances in a row" in message
    assert "HTTP 503" in message
    # The takes are kept in the take cache: said so (the store decides, not the engine).
    assert f"0 of {len(TEXTS)} utterances finished and are kept" in message
    assert "rerun the same command to resume" in message
    assert "\n" not in message
    # It stopped: at most the 3 failed utterances plus the one in flight beside them.
    assert len(fake.handshakes) <= 4 * FAST.retry.attempts


def test_finished_takes_come_out_before_the_error(fake: FakeEdgeService) -> None:
    bad = "第二，这一句总是被掐断。"
    fake.add_fault(Fault("close", text="掐断", times=None, at=0.5))
    texts = [TEXTS[0], TEXTS[1], bad, TEXTS[3]]
    received: dict[int, Take] = {}

    with pytest.raises(SynthesisError) as caught:
        for index, take in engine_for(fake).synthesize(requests_for(texts), profile(), jobs=1):
            received[index] = take

    assert sorted(received) == [0, 1, 3]
    for index in received:
        assert_take_matches(received[index], texts[index])
    message = str(caught.value)
    assert "could not synthesize 1 utterance(s)" in message
    assert "utterance 2" in message and "cut short" in message
    assert isinstance(caught.value, EngineStopped)
    assert sum(r.text == bad for r in fake.requests) == FAST.retry.attempts


def test_takes_not_kept_are_said_to_be_lost(fake: FakeEdgeService) -> None:
    """The same failure in a render without a take cache (--no-cache)."""
    fake.add_fault(Fault("close", text="掐断", times=None, at=0.5))
    texts = [TEXTS[0], TEXTS[1], "第二，这一句总是被掐断。", TEXTS[3]]
    stored, error = run_pipeline(engine_for(fake), texts, MemoryStore(), jobs=1)
    assert sorted(stored) == ["key0", "key1", "key3"]
    assert str(error).endswith("; 3 of 4 utterances finished but were not kept (--no-cache)")


class _PieceCancelledEngine(EdgeEngine):
    """An engine whose request for one text ends cancelled without anyone cancelling it (a
    TaskGroup ignores such a piece; the utterance must fail, not go missing)."""

    async def _fetch_with_retries(self, text, voice):  # type: ignore[no-untyped-def]
        if "掐断" in text:
            raise asyncio.CancelledError
        return await super()._fetch_with_retries(text, voice)


def test_a_piece_that_ends_cancelled_is_a_failure_not_a_lost_take(
    fake: FakeEdgeService,
) -> None:
    texts = [TEXTS[0], "第二，这一句总是被掐断。", TEXTS[3]]
    received: dict[int, Take] = {}
    with pytest.raises(SynthesisError) as caught:
        engine = _PieceCancelledEngine(endpoint=fake.url, options=FAST)
        for index, take in engine.synthesize(requests_for(texts), profile(), jobs=2):
            received[index] = take
    assert sorted(received) == [0, 2]
    message = str(caught.value)
    assert "utterance 1" in message and "CancelledError" in message
    assert isinstance(caught.value, EngineStopped)


def test_unknown_voice(fake: FakeEdgeService) -> None:
    voice = profile("zh-CN-NobodyNeural")
    engine = engine_for(fake)

    with pytest.raises(SettingsError, match="unknown edge voice 'zh-CN-NobodyNeural'"):
        engine.check(voice)
    with pytest.raises(SynthesisError) as caught:
        run(engine, TEXTS[:1], voice)

    assert "the service returned no audio" in str(caught.value)
    assert "not in the shipped voice list" in str(caught.value)
    assert {r.outcome for r in fake.requests} == {"unknown_voice"}


def test_bad_settings_fail_at_once_without_any_request(fake: FakeEdgeService) -> None:
    engine = engine_for(fake)
    bad_rate = unchecked(profile(), rate="10%")
    started = time.monotonic()

    with pytest.raises(SettingsError, match="rate must look like"):
        engine.synthesize(requests_for(TEXTS), bad_rate, jobs=4)  # raised at the call
    with pytest.raises(SettingsError, match="rate must look like"):
        engine.check(bad_rate)
    with pytest.raises(SettingsError, match="pitch must look like"):
        engine.check(unchecked(profile(), pitch="20Hz"))
    with pytest.raises(SettingsError, match="voice short name"):
        engine.check(profile("xiaomei"))
    with pytest.raises(SettingsError, match="voice short name"):
        engine.synthesize(requests_for(TEXTS), profile("zh-CN-Yun'yangNeural"))

    assert time.monotonic() - started < 1.0
    assert fake.handshakes == []


# --------------------------------------------------------------------------- text handling


def test_special_characters_reach_the_service_as_well_formed_ssml(fake: FakeEdgeService) -> None:
    text = "价格 < 100 & 折扣 > 5%，\"引号\" '单引号' 😀👍🏽 控制\x00字\x07符\x1b与\ud800代理。"
    expected = clean_text(text)

    take = run(engine_for(fake), [text], profile())[0]

    (request,) = fake.requests
    assert request.well_formed
    assert request.text == expected
    assert expected == "价格 < 100 & 折扣 > 5%，\"引号\" '单引号' 控制 字 符 与代理。"
    assert "&amp;" in request.ssml and "&lt;" in request.ssml  # escaped on the wire
    assert "".join(b.text for b in take.boundaries) == expected  # and back unescaped
    assert_take_matches(take, text)


def test_text_with_nothing_to_say_becomes_silence_without_a_request(
    fake: FakeEdgeService,
) -> None:
    texts = ["。！？", "", "……——", "😀🎉", "  \n\t "]

    takes = run(engine_for(fake), texts, profile(), jobs=2)

    assert sorted(takes) == list(range(len(texts)))
    for take in takes.values():
        assert take.duration == pytest.approx(0.3)
        assert not np.any(take.samples)
        assert take.boundaries == ()
    assert fake.handshakes == []


def test_oversized_text_is_split_at_sentence_ends_and_joined(fake: FakeEdgeService) -> None:
    sentence = "这是一个用来测试长文本切分的句子，共有二十多个字。"
    text = sentence * 100  # 2,500 characters in one utterance

    # The fake encodes ~90 s of MP3 per piece before its first frame: allow for a slow machine.
    roomy = EdgeOptions(retry=FAST.retry, idle_timeout=30.0)
    take = run(engine_for(fake, roomy), [text], profile())[0]

    # Whole sentences, at most 1,000 characters per request; the pieces go out side by side
    # (so in any order) and are joined in text order.
    sent = [r.text for r in fake.requests]
    assert len(sent) == 3
    assert all(len(piece) <= 1000 and piece.endswith("。") for piece in sent)
    assert sorted(sent) == sorted(split_for_service(text))
    expected = sum(plan_audio(piece).duration for piece in sent)
    assert take.duration == pytest.approx(expected, abs=0.3)
    assert len(take.boundaries) == 100
    starts = [b.start for b in take.boundaries]
    assert starts == sorted(starts)
    assert take.boundaries[-1].end <= take.duration


@pytest.mark.parametrize("jobs", [1, 3])
def test_pieces_of_one_long_utterance_go_out_side_by_side(jobs: int) -> None:
    # --jobs bounds the requests in flight, not the utterances: one 3-piece utterance uses
    # three connections at once with --jobs 3 (each piece waits 0.4 s for its first byte, so
    # they overlap), one at a time with --jobs 1.
    text = "这是一个用来测试长文本切分的句子，共有二十多个字。" * 6
    with FakeEdgeService(latency=0.4) as service:
        small = EdgeOptions(retry=FAST.retry, max_chars=50)
        take = run(engine_for(service, small), [text], profile(), jobs=jobs)[0]
        assert len(service.requests) == 3
        assert service.peak_connections == jobs
    assert len(take.boundaries) == 6


def test_text_without_sentence_ends_is_still_split() -> None:
    pieces = split_for_service("字" * 2500)
    assert [len(p) for p in pieces] == [1000, 1000, 500]
    assert split_for_service("第一句。第二句！", max_chars=5) == ["第一句。", "第二句！"]
    assert split_for_service("。。。") == []
    # "&" goes out as "&amp;": the byte budget, not the character count, decides.
    assert [len(p) for p in split_for_service("a&" * 1000)] == [1000, 1000]


def test_clean_text() -> None:
    assert clean_text("a\x00b\x7fc\u200bd\ufeffe") == "a b cde"
    assert clean_text("x\ud800y") == "xy"
    assert clean_text("好 👨‍👩‍👧 的 ❤️ 3️⃣") == "好 的 3"
    assert clean_text("  多余\n\n空白  ") == "多余 空白"
    assert is_speakable("3") and is_speakable("字") and not is_speakable("。…—%")


# --------------------------------------------------------------------------- preflight


def test_preflight_fails_fast_when_nothing_listens() -> None:
    engine = EdgeEngine(endpoint=f"ws://127.0.0.1:{closed_port()}/edge/v1")  # default options
    started = time.monotonic()

    with pytest.raises(EngineUnavailable) as caught:
        engine.check(profile())

    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert message.startswith("cannot reach the edge-tts service (")
    assert message.endswith("use the offline voice with --voice xiaomei")
    assert caught.value.exit_code == 3


def test_preflight_gives_up_on_a_silent_server() -> None:
    # Accepts TCP connections and never answers: what a black-holed network looks like.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        options = EdgeOptions(preflight_timeout=1.5, list_timeout=1.0)
        engine = EdgeEngine(endpoint=f"ws://127.0.0.1:{port}/edge/v1", options=options)
        started = time.monotonic()

        with pytest.raises(EngineUnavailable, match="--voice xiaomei"):
            engine.check(profile())

        assert time.monotonic() - started < 4
    assert EdgeOptions().preflight_timeout <= 10


# --------------------------------------------------------------------------- endpoint


def test_endpoint_from_the_environment(
    fake: FakeEdgeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = fake.url.split("?")[0]  # no TrustedClientToken: the engine adds it
    monkeypatch.setenv(ENV_VAR, bare)
    engine = get_engine("edge")

    take = run(engine, [TEXTS[0]], profile())[0]  # type: ignore[arg-type]

    assert_take_matches(take, TEXTS[0])
    assert "TrustedClientToken" in fake.handshakes[0].query
    assert f"endpoint=127.0.0.1:{fake.port}" in engine.identity(profile())
    monkeypatch.setenv(ENV_VAR, "http://example.invalid/edge/v1")
    with pytest.raises(SettingsError, match=ENV_VAR):
        get_engine("edge")


def test_endpoint_helpers() -> None:
    assert normalize_endpoint("ws://h:1/p?a=1").endswith(
        "?a=1&TrustedClientToken=" + "6A5AA1D4EAFF4E9FB37E23D68491D6F4"
    )
    assert (
        normalize_endpoint("ws://h:1/p?trustedclienttoken=x") == "ws://h:1/p?trustedclienttoken=x"
    )
    assert voice_list_url("wss://h/a/edge/v1?TrustedClientToken=x").startswith(
        "https://h/a/voices/list?trustedclienttoken="
    )


def test_identity_names_everything_that_changes_the_sound() -> None:
    voice = profile(rate="+10%", pitch="-5Hz", volume="+20%")
    identity = EdgeEngine().identity(voice)
    for part in ("edge", "edge-tts=7.", "zh-CN-YunyangNeural", "+10%", "-5Hz", "+20%"):
        assert part in identity
    assert identity != EdgeEngine().identity(profile(rate="+11%", pitch="-5Hz", volume="+20%"))


# --------------------------------------------------------------------------- voice list


def test_voice_list_falls_back_to_the_snapshot_and_filters() -> None:
    endpoint = f"ws://127.0.0.1:{closed_port()}/edge/v1"

    zh_cn, source = list_voices("zh-CN", endpoint=endpoint, timeout=2)
    female_gb, _ = list_voices("en-gb", "female", endpoint=endpoint, timeout=2)
    chinese, _ = list_voices("zh", endpoint=endpoint, timeout=2)

    assert source == "snapshot"
    names = {v["ShortName"] for v in zh_cn}
    assert {"zh-CN-YunyangNeural", "zh-CN-XiaoxiaoNeural", "zh-CN-liaoning-XiaobeiNeural"} <= names
    assert all(v["Locale"].startswith("zh-CN") for v in zh_cn)
    assert {v["ShortName"] for v in female_gb} == {
        "en-GB-LibbyNeural",
        "en-GB-MaisieNeural",
        "en-GB-SoniaNeural",
    }
    assert {v["Locale"] for v in chinese} >= {"zh-CN", "zh-HK", "zh-TW"}


def test_voice_list_live_from_the_service() -> None:
    served = [
        {"ShortName": "zh-CN-YunyangNeural", "Locale": "zh-CN", "Gender": "Male"},
        {"ShortName": "zh-CN-NewVoiceNeural", "Locale": "zh-CN", "Gender": "Female"},
    ]
    with FakeEdgeService(voices=served) as service:
        voices, source = EdgeEngine(endpoint=service.url).list_voices(gender="Female")

    assert source == "live"
    assert [v["ShortName"] for v in voices] == ["zh-CN-NewVoiceNeural"]


# --------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("jobs", [1, 4])
def test_jobs_bounds_the_requests_in_flight(jobs: int) -> None:
    # With latency, --jobs N keeps N requests open at once (the speed-up itself is measured by
    # bench/edge_jobs.py), and never more.
    texts = [f"第{n}段，这是用来测量并发的一句话。" for n in range(8)]
    with FakeEdgeService(latency=0.5, speed=10.0) as service:
        takes = run(engine_for(service), texts, profile(), jobs=jobs)
        assert service.peak_connections == jobs
    assert sorted(takes) == list(range(len(texts)))
    for index, take in takes.items():
        assert_take_matches(take, texts[index])


def test_stopping_early_closes_everything() -> None:
    with FakeEdgeService(latency=0.2, speed=10.0) as service:
        iterator = engine_for(service).synthesize(requests_for(TEXTS * 2), profile(), jobs=2)
        index, take = next(iterator)
        started = time.monotonic()
        iterator.close()  # what a `break` in the caller's loop does

        assert time.monotonic() - started < 3
        assert edge_threads_alive() == []
        deadline = time.monotonic() + 3
        while service.active_connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.active_connections == 0
        assert len(service.requests) < len(TEXTS) * 2
    assert_take_matches(take, (TEXTS * 2)[index])


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
def test_ctrl_c_while_waiting_cancels_the_requests() -> None:
    with FakeEdgeService(latency=2.0, speed=10.0) as service:
        engine = engine_for(service)
        main = threading.main_thread().ident
        assert main is not None
        timer = threading.Timer(0.5, signal.pthread_kill, args=(main, signal.SIGINT))
        started = time.monotonic()
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                for _ in engine.synthesize(requests_for(TEXTS), profile(), jobs=2):
                    pass
        finally:
            timer.cancel()

        assert time.monotonic() - started < 2.0  # long before the first answer was due
        assert edge_threads_alive() == []
        deadline = time.monotonic() + 3
        while service.active_connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.active_connections == 0


# --------------------------------------------------------------------------- retry policy


def test_retry_policy_backs_off_exponentially_with_jitter() -> None:
    policy = RetryPolicy()
    assert (policy.attempts, policy.base, policy.factor, policy.cap) == (5, 0.5, 2.0, 8.0)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_error_classification() -> None:
    import aiohttp
    from edge_tts.exceptions import NoAudioReceived

    assert classify(NoAudioReceived("x")) is Kind.TRANSIENT
    assert classify(TimeoutError()) is Kind.TRANSIENT
    assert classify(aiohttp.ServerDisconnectedError()) is Kind.TRANSIENT
    assert classify(ConnectionResetError()) is Kind.TRANSIENT
    assert classify(KeyError("bug")) is Kind.FATAL


# ---------------------------------------------------------------------------------------------
# The edge-tts internals we rely on


def test_the_edge_tts_globals_we_set_are_the_ones_it_connects_to() -> None:
    """engines/edge/endpoint.py points edge-tts at another server by setting two private module
    globals (edge-tts has no option for it). Called without our engine, edge-tts itself must
    reach the fake through them; a release that moves them fails here (pyproject.toml pins
    edge-tts below 8 for that reason)."""
    import edge_tts

    from tts_pipeline.engines.edge.endpoint import use_endpoint

    async def speak_and_list() -> tuple[int, int]:
        audio = 0
        communicate = edge_tts.Communicate("你好", "zh-CN-YunyangNeural", connect_timeout=5)
        async with asyncio.timeout(20):
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    audio += len(chunk["data"])
            voices = await edge_tts.list_voices()
        return audio, len(voices)

    with FakeEdgeService(latency=0.0, speed=0.0) as service:
        use_endpoint(normalize_endpoint(service.url))
        audio, voices = asyncio.run(speak_and_list())
        assert len(service.requests) == 1 and audio > 0
        assert voices == len(service.voices)
