"""Voice presets, lookup order, command-line overrides (and the manifest), malformed settings,
and the `voices` command."""

from __future__ import annotations

import json
import tomllib
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.cli_tools import cli, run_cli
from tests.fake_edge import FakeEdgeService
from tts_pipeline.engines.edge.endpoint import ENV_VAR
from tts_pipeline.engines.edge.engine import EdgeEngine
from tts_pipeline.engines.edge.voices import known_voice_names, validate_voice
from tts_pipeline.engines.registry import ENGINE_NAMES, default_jobs, engine_for
from tts_pipeline.errors import SettingsError
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.voices import (
    DEFAULT_VOICE,
    USER_VOICES_ENV,
    apply_overrides,
    fallback_profile,
    list_presets,
    load_profile,
    preset_paths,
    profile_toml,
)

REQUIRED = {
    "xiaomei": ("local-zh", "baker", "zh-CN"),
    "yunyang": ("edge", "zh-CN-YunyangNeural", "zh-CN"),
    "xiaoxiao": ("edge", "zh-CN-XiaoxiaoNeural", "zh-CN"),
    "yunjian": ("edge", "zh-CN-YunjianNeural", "zh-CN"),
    "yunxi": ("edge", "zh-CN-YunxiNeural", "zh-CN"),
    "aria": ("edge", "en-US-AriaNeural", "en-US"),
    "espeak-en": ("espeak", "en-us", "en-US"),
}

SPEECH = "教师大会讲话\n\n各位老师：大家好！\n\n第一，提高认识。我们要认真学习。\n"


@pytest.fixture(autouse=True)
def _user_voices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty user preset folder (conftest.py's isolated_edge_tts does the rest)."""
    monkeypatch.setenv(USER_VOICES_ENV, str(tmp_path / "user-voices"))


# --------------------------------------------------------------------------- presets


def test_every_shipped_preset_loads_and_validates() -> None:
    shipped = preset_paths()
    assert set(REQUIRED) <= set(shipped)
    snapshot = known_voice_names()
    for name, path in shipped.items():
        profile = load_profile(name)
        assert profile.name == name == path.stem
        assert profile.engine in ENGINE_NAMES
        assert profile.display_name and profile.description
        assert all(0 <= getattr(profile.pauses, k) <= 30 for k in ("title", "sentence"))
        if profile.engine == "edge":
            validate_voice(profile)  # everything the engine checks without the network
            assert profile.voice in snapshot
            assert profile.voice.startswith(profile.language)
        if name in REQUIRED:
            assert (profile.engine, profile.voice, profile.language) == REQUIRED[name]
    assert DEFAULT_VOICE == "xiaomei" and load_profile(None).name == "xiaomei"


def test_lookup_order_user_preset_file_and_edge_short_name(tmp_path: Path) -> None:
    user = tmp_path / "user-voices"
    user.mkdir()
    (user / "yunyang.toml").write_text(
        'engine = "edge"\nvoice = "zh-CN-YunyangNeural"\nrate = "+20%"\n', encoding="utf-8"
    )
    (user / "mine.toml").write_text('engine = "local-zh"\nvoice = "baker"\n', encoding="utf-8")
    elsewhere = tmp_path / "any.toml"
    elsewhere.write_text('engine = "espeak"\nvoice = "en-gb"\nlanguage = "en-GB"\n', "utf-8")

    assert load_profile("yunyang").rate == "+20%"  # the user's preset replaces the shipped one
    assert load_profile("mine").engine == "local-zh"
    assert load_profile(str(elsewhere)).voice == "en-gb"
    short = load_profile("en-GB-SoniaNeural")
    assert (short.engine, short.voice, short.language) == ("edge", "en-GB-SoniaNeural", "en-GB")
    entries = {(e.name, e.source): e for e in list_presets()}
    assert entries[("yunyang", "shipped")].shadowed
    assert not entries[("yunyang", "user")].shadowed
    with pytest.raises(SettingsError, match="unknown voice 'nobody'; presets: .*yunyang"):
        load_profile("nobody")
    with pytest.raises(SettingsError, match="voice file not found"):
        load_profile(str(tmp_path / "missing.toml"))


def test_overrides_replace_the_preset_settings() -> None:
    base = load_profile("yunjian")
    changed = apply_overrides(
        base, rate="-10%", pitch="+20Hz", volume="-50%", pauses={"paragraph": "1.5", "title": 2}
    )
    assert (changed.rate, changed.pitch, changed.volume) == ("-10%", "+20Hz", "-50%")
    assert (changed.rate_ratio, changed.pitch_hz, changed.volume_ratio) == (0.9, 20, 0.5)
    assert changed.pauses.paragraph == 1.5 and changed.pauses.title == 2.0
    assert changed.pauses.sentence == base.pauses.sentence
    assert apply_overrides(base) == base
    # The fallback voice speaks with the same rate, pitch and volume.
    fallback = fallback_profile("offline", changed)
    assert (fallback.name, fallback.rate, fallback.pitch) == ("xiaomei", "-10%", "+20Hz")
    assert fallback_profile("offline", load_profile("aria")).name == "espeak-en"


def test_profile_toml_round_trips(tmp_path: Path) -> None:
    profile = apply_overrides(load_profile("yunxi"), rate="+7%", pauses={"chapter": "3"})
    path = tmp_path / "copy.toml"
    path.write_text(profile_toml(profile), encoding="utf-8")
    again = load_profile(str(path))
    assert again.to_dict() == {**profile.to_dict(), "name": "copy"}


def test_default_jobs() -> None:
    assert default_jobs("edge") == 4
    assert default_jobs("local-zh") == default_jobs("espeak") >= 1


# --------------------------------------------------------------------------- overrides → manifest


def test_cli_overrides_reach_the_engine_and_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    out = tmp_path / "out"
    overrides = ["--rate", "+10%", "--pitch=-5Hz", "--volume", "-20%"]
    overrides += ["--pause-title", "0.5", "--pause-paragraph", "1.5", "--pause-chapter", "2.5"]
    with FakeEdgeService(latency=0.0, speed=0.0) as fake:
        monkeypatch.setenv(ENV_VAR, fake.url)
        code, _, stderr = cli(
            "render", str(source), "--voice", "xiaoxiao", "-o", str(out), "--no-cache", *overrides
        )
        requests = fake.requests

    assert code == 0, stderr
    manifest = json.loads((out / "talk.manifest.json").read_text("utf-8"))
    voice = manifest["voice"]
    assert (voice["name"], voice["voice"]) == ("xiaoxiao", "zh-CN-XiaoxiaoNeural")
    assert (voice["rate"], voice["pitch"], voice["volume"]) == ("+10%", "-5Hz", "-20%")
    assert voice["pauses"] == {"title": 0.5, "sentence": 0.4, "paragraph": 1.5, "chapter": 2.5}
    pauses = [u["pause_after"] for u in manifest["utterances"]]
    assert pauses == [0.5, 2.5, 0.0]  # title, end of the opening chapter, end
    assert {(r.rate, r.pitch, r.volume) for r in requests} == {("+10%", "-5Hz", "-20%")}

    code, stdout, _ = cli("plan", str(source), "--json", "--pause-title", "0.7")
    assert code == 0
    assert json.loads(stdout)["chapters"][0]["utterances"][0]["pause_after"] == 0.7


# --------------------------------------------------------------------------- malformed settings

MALFORMED = {
    "rate without %": (["--rate", "+10"], "rate must look like +10% or -5%"),
    "rate without sign": (["--rate", "10%"], "rate must look like +10% or -5%"),
    "rate in words": (["--rate", "fast"], "rate must look like +10% or -5%"),
    "rate too fast": (["--rate", "+300%"], "rate must be between -50% and +100%"),
    "pitch without Hz": (["--pitch", "+20"], "pitch must look like +20Hz or -10Hz"),
    "pitch too high": (["--pitch", "+200Hz"], "pitch must be between -100Hz and +100Hz"),
    "volume": (["--volume", "loud"], "volume must look like +10% or -5%"),
    "pause not a number": (["--pause-sentence", "abc"], "pause sentence must be a number"),
    "pause negative": (["--pause-chapter=-1"], "pause chapter must be between 0 and 30"),
    "pause too long": (["--pause-title", "99"], "pause title must be between 0 and 30"),
}


@pytest.mark.parametrize("command", ["render", "plan", "preview"])
@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_setting_is_one_line_exit_2(
    tmp_path: Path, case: tuple[list[str], str], command: str
) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    out = tmp_path / "out"
    args = {
        "render": [str(source), "-o", str(out)],
        "plan": [str(source)],
        "preview": ["-o", str(out)],
    }
    option, expected = case

    code, stdout, stderr = cli(command, *args[command], *option)

    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert expected in lines[0]
    assert not out.exists() and stdout == ""


def test_malformed_preset_file_in_a_real_process(tmp_path: Path) -> None:
    preset = tmp_path / "broken.toml"
    preset.write_text('engine = "edge"\nvoice = "zh-CN-YunyangNeural"\nrate = "faster"\n', "utf-8")
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    result = run_cli("render", source, "-o", tmp_path / "o", "--voice", preset)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line == f"error: {preset}: rate must look like +10% or -5% (got 'faster')"
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- `voices`


def test_voices_lists_presets_and_shows_one() -> None:
    code, stdout, stderr = cli("voices")
    assert code == 0, stderr
    for name, (engine, voice, _) in REQUIRED.items():
        assert name in stdout and voice in stdout and engine in stdout
    assert "+5%" in stdout  # yunjian's rate

    code, stdout, _ = cli("voices", "--engine", "local-zh")
    assert code == 0 and "xiaomei" in stdout and "yunyang" not in stdout

    code, stdout, _ = cli("voices", "show", "yunyang", "--pause-paragraph", "1.1")
    assert code == 0
    shown = tomllib.loads(stdout)
    assert shown["voice"] == "zh-CN-YunyangNeural" and shown["pauses"]["paragraph"] == 1.1

    code, _, stderr = cli("voices", "show", "nobody")
    assert code == 2 and stderr.startswith("error: unknown voice 'nobody'")


def test_voices_lists_edge_voices_live_or_from_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served = [
        {"ShortName": "zh-CN-XiaoxiaoNeural", "Locale": "zh-CN", "Gender": "Female"},
        {"ShortName": "zh-CN-YunyangNeural", "Locale": "zh-CN", "Gender": "Male"},
        {"ShortName": "en-US-AriaNeural", "Locale": "en-US", "Gender": "Female"},
    ]
    with FakeEdgeService(voices=served) as fake:
        monkeypatch.setenv(ENV_VAR, fake.url)
        code, stdout, _ = cli("voices", "--locale", "zh-CN", "--gender", "Female")
    assert code == 0
    assert "live from the service" in stdout
    assert "zh-CN-XiaoxiaoNeural" in stdout
    assert "YunyangNeural" not in stdout and "AriaNeural" not in stdout

    monkeypatch.setenv(ENV_VAR, "ws://127.0.0.1:9/edge/v1")  # nothing listens there
    code, stdout, _ = cli("voices", "--engine", "edge", "--locale", "zh-CN", "--gender", "Male")
    assert code == 0
    assert "shipped snapshot" in stdout
    assert "zh-CN-YunyangNeural" in stdout and "zh-CN-YunjianNeural" in stdout
    assert "XiaoxiaoNeural" not in stdout


def test_endpoint_from_a_preset_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preset = tmp_path / "relay.toml"
    with FakeEdgeService(latency=0.0, speed=0.0) as fake:
        preset.write_text(
            f'engine = "edge"\nvoice = "zh-CN-YunyangNeural"\nendpoint = "{fake.url}"\n', "utf-8"
        )
        code, _, stderr = cli("preview", "你好。", "--voice", str(preset), "-o", str(tmp_path))
        assert code == 0, stderr
        assert [r.text for r in fake.requests][-1] == "你好。"
        profile = load_profile(str(preset))
        assert f"endpoint=127.0.0.1:{fake.port}" in engine_for(profile).identity(profile)

    monkeypatch.setenv(ENV_VAR, "ws://127.0.0.1:9/edge/v1")
    assert "endpoint=127.0.0.1:9/" in engine_for(profile).identity(profile)
    preset.write_text('engine = "edge"\nvoice = "zh-CN-YunyangNeural"\nendpoint = "x"\n', "utf-8")
    with pytest.raises(SettingsError, match="endpoint must be a ws:// or wss:// URL"):
        load_profile(str(preset))


def test_volume_changes_the_rendered_level_despite_loudness_normalization(
    tmp_path: Path,
) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    rms: dict[str, float] = {}
    with FakeEdgeService(latency=0.0, speed=0.0) as fake:
        for volume in ("+0%", "-50%"):
            voice = apply_overrides(load_profile("yunyang"), volume=volume)
            out = tmp_path / volume
            settings = RenderSettings(
                voice=voice, output_dir=out, formats=("wav",), subtitles=False
            )
            render(source, settings, store=MemoryStore(), engine=EdgeEngine(endpoint=fake.url))
            with wave.open(str(out / "talk.wav")) as audio:
                samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
            rms[volume] = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
            manifest = json.loads((out / "talk.manifest.json").read_text("utf-8"))
            assert manifest["voice"]["volume"] == volume
    assert rms["-50%"] / rms["+0%"] == pytest.approx(0.5, abs=0.05)  # -6 dB
