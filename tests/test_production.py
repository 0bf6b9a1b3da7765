"""Production controls (issue 18) with the real offline engine, the real ffmpeg, pydub and
mutagen: chapter selection, one file per chapter, the user's intro, outro, chapter sound and music
bed, read back from the decoded files.

A four-chapter speech is rendered once without sounds (the baseline) and once each with clips and
with a music bed (the same settings, one take cache); the clips are tones and noise the tests
make, in mp3, wav, ogg and flac.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from tests.audio_tools import SR, decode, noise, tone, write_wav
from tests.cli_tools import cli, run_cli
from tts_pipeline.audio.clips import prepare_sounds, seamless_loop
from tts_pipeline.audio.loudness.meter import integrated_loudness
from tts_pipeline.audio.music import DUCK_ATTACK_SECONDS, DUCK_RELEASE_SECONDS
from tts_pipeline.audio.user_audio import decode_audio
from tts_pipeline.engines.base import Engine, SynthesisRequest, Take
from tts_pipeline.engines.registry import engine_for
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.production import ProductionSettings
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.voices import VoiceProfile, load_profile

SPEECH = """会议讲话

同志们：今天我们召开会议。

第一，提高认识。大家要统一思想，把思想统一到会议精神上来。

第二，狠抓落实。要把各项任务落到实处。

第三，加强领导。让我们共同努力！
"""
TITLES = ["开场白", "第一，提高认识", "第二，狠抓落实", "第三，加强领导"]
# Long pauses, so the music bed has room to come up between utterances.
PAUSES = ("--pause-paragraph", "1.6", "--pause-chapter", "2.0")
MUSIC_LEVEL = -26.0


def _convert(wav: Path, target: Path) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav), str(target)],
        stdin=subprocess.DEVNULL,
        check=True,
    )
    return target


def _clip(seconds: float, freq: float, seed: int) -> np.ndarray:
    """A tone with noise in it, faded at both ends (so a correlation finds one place)."""
    body = tone(seconds, freq, 0.25) + noise(seconds, -20, seed=seed)
    ramp = np.minimum(1.0, np.minimum(np.arange(len(body)), np.arange(len(body))[::-1]) / 240)
    return (body * ramp).astype(np.float32)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sounds, each in another format: intro mp3, chapter sound wav, outro ogg, music flac
    (stereo noise at 44.1 kHz, resampled and mixed down when read)."""
    root = tmp_path_factory.mktemp("clips")
    sources = {
        "intro": (_clip(1.5, 440.0, 1), 24_000, "mp3"),
        "chapter_sound": (_clip(0.4, 880.0, 2), 24_000, "wav"),
        "outro": (_clip(1.0, 330.0, 3), 24_000, "ogg"),
    }
    made = {}
    for kind, (samples, rate, ext) in sources.items():
        wav = write_wav(root / f"{kind}-source.wav", samples, rate)
        made[kind] = wav if ext == "wav" else _convert(wav, root / f"{kind}.{ext}")
    music = root / "music.flac"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         "anoisesrc=d=6:c=pink:r=44100:a=0.3:s=7", "-ac", "2", str(music)],
        stdin=subprocess.DEVNULL,
        check=True,
    )  # fmt: skip
    made["music"] = music
    return made


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("production")
    source = root / "talk.txt"
    source.write_text(SPEECH, encoding="utf-8")
    return {"root": root, "source": source, "cache": root / "cache"}


def _render(work: dict[str, Path], name: str, *extra: str | Path) -> Path:
    """Render the speech into ``root/name`` with the shared take cache; the output folder."""
    out = work["root"] / name
    result = run_cli(
        "render", work["source"], "-o", out, "--cache-dir", work["cache"], *PAUSES, *extra,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "talk.manifest.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def baseline(work: dict[str, Path]) -> Path:
    return _render(work, "plain", "--format", "wav", "--no-page")


@pytest.fixture(scope="module")
def with_clips(work: dict[str, Path], baseline: Path, clips: dict[str, Path]) -> Path:
    return _render(
        work, "clips", "--format", "wav", "--no-page", "--intro", clips["intro"],
        "--chapter-sound", clips["chapter_sound"], "--outro", clips["outro"],
    )  # fmt: skip


@pytest.fixture(scope="module")
def with_music(work: dict[str, Path], baseline: Path, clips: dict[str, Path]) -> Path:
    return _render(
        work, "music", "--format", "wav", "--no-page", "--music", clips["music"],
        "--music-level", str(MUSIC_LEVEL),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Chapter selection


def test_plan_keeps_the_numbering_of_the_chosen_chapters(work: dict[str, Path]) -> None:
    code, out, err = cli("plan", str(work["source"]), "--chapters", "2-3", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["selected_chapters"] == [2, 3]
    assert [c["title"] for c in plan["chapters"]] == TITLES  # numbering as in the document
    ids = [[u["id"] for u in c["utterances"]] for c in plan["chapters"]]
    assert ids == [[], ["c02-p001"], ["c03-p001"], []]
    assert plan["chapters"][2]["utterances"][0]["pause_after"] == 0.0  # it ends the programme
    code, out, err = cli("plan", str(work["source"]), "--chapters", "3")
    assert code == 0 and "Chapter 3: 第二，狠抓落实" in out and "Chapter 2" not in out, out
    code, _, err = cli("plan", str(work["source"]), "--chapters", "3,9")
    assert code == 0 and "warning: --chapters 3,9: the document has 4 chapters; no chapter 9" in err


class CountingEngine:
    """The real engine, counting what it is asked to say."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.said: list[str] = []

    def identity(self, voice: VoiceProfile) -> str:
        return self.engine.identity(voice)

    def check(self, voice: VoiceProfile) -> None:
        self.engine.check(voice)

    def speakability(self, text: str, voice: VoiceProfile) -> Any:
        return self.engine.speakability(text, voice)

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        self.said += [r.text for r in requests]
        yield from self.engine.synthesize(requests, voice, jobs)


def test_render_synthesizes_only_the_chosen_chapters(work: dict[str, Path]) -> None:
    voice = load_profile(None)
    engine = CountingEngine(engine_for(voice))
    out = work["root"] / "chosen"
    settings = RenderSettings(voice=voice, output_dir=out, chapters="2-3")
    result = render(work["source"], settings, store=MemoryStore(), engine=engine)
    assert len(engine.said) == result.synthesized == result.utterances == 2
    assert engine.said[0].startswith("第一，提高认识") and engine.said[1].startswith("第二")
    manifest = _manifest(out)
    assert manifest["selected_chapters"] == [2, 3]
    assert [(c["index"], c["title"]) for c in manifest["chapters"]] == [
        (1, TITLES[1]),
        (2, TITLES[2]),
    ]
    assert [u["id"] for u in manifest["utterances"]] == ["c02-p001", "c03-p001"]
    marks = MP4(out / "talk.m4b").chapters
    assert [m.title for m in marks] == [TITLES[1], TITLES[2]]
    for mark, chapter in zip(marks, manifest["chapters"], strict=True):
        assert abs(mark.start - chapter["start"]) < 0.002
    assert manifest["chapters"][0]["start"] == 0.0
    # The page lists the two chapters, and its paragraphs name them by their place in the list.
    html = (out / "talk.html").read_text("utf-8")
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found is not None
    page = json.loads(found.group(1))
    assert [c["title"] for c in page["chapters"]] == [TITLES[1], TITLES[2]]
    assert [b["chapter"] for b in page["blocks"]] == [0, 1]


# ---------------------------------------------------------------------------------------------
# One file per chapter


def test_split_writes_a_tagged_file_per_chapter_and_a_playlist(
    work: dict[str, Path], baseline: Path
) -> None:
    out = _render(
        work, "split", "--split", "chapters", "--split", "whole", "--format", "m4b",
        "--format", "mp3", "--no-page",
    )  # fmt: skip
    manifest = _manifest(out)
    files = manifest["chapter_files"]
    assert [f["title"] for f in files] == TITLES and (out / "talk.m4b").is_file()
    for n, f in enumerate(files, 1):
        names = f["files"]
        assert names["m4b"] == f"talk-{n:02d}-{TITLES[n - 1]}.m4b"
        mp4 = MP4(out / names["m4b"])
        assert mp4.tags is not None
        assert mp4.tags["\xa9nam"] == [TITLES[n - 1]] and mp4.tags["\xa9alb"] == ["会议讲话"]
        assert mp4.tags["trkn"] == [(n, 4)]
        assert not mp4.chapters  # a chapter's file has no chapters of its own
        id3 = ID3(out / names["mp3"])
        assert (str(id3["TIT2"]), str(id3["TALB"]), str(id3["TRCK"])) == (
            TITLES[n - 1], "会议讲话", f"{n}/4",
        )  # fmt: skip
        span = f["end"] - f["start"]
        for fmt in ("m4b", "mp3"):
            seconds = len(decode(out / names[fmt])) / SR
            assert abs(seconds - span) <= 0.030, (fmt, n, seconds, span)
        # Its subtitles start from its own start.
        cues = [c for c in manifest["cues"] if f["start"] <= c["start"] < f["end"]]
        starts = _srt_starts(out / names["srt"])
        assert len(starts) == len(cues)
        for cue, at in zip(cues, starts, strict=True):
            assert abs(at - (cue["start"] - f["start"])) <= 0.0015
    playlist = (out / "talk.m3u8").read_text("utf-8").splitlines()
    assert playlist[0] == "#EXTM3U"
    entries = list(zip(playlist[2::2], playlist[3::2], strict=True))
    assert [name for _, name in entries] == [f["files"]["m4b"] for f in files]
    for (info, _), f in zip(entries, files, strict=True):
        seconds, title = info.removeprefix("#EXTINF:").split(",", 1)
        assert title == f["title"] and int(seconds) == round(f["end"] - f["start"])
    assert (out / "talk.mp3.m3u8").read_text("utf-8").count(".mp3\n") == 4


# ---------------------------------------------------------------------------------------------
# Clips


def _reference(path: Path) -> np.ndarray:
    """A clip file decoded at the programme's rate by ffmpeg alone (no pydub)."""
    return decode(path)


def _find(programme: np.ndarray, clip: np.ndarray, around: float, reach: float = 0.5) -> float:
    """Where ``clip`` starts in ``programme`` near ``around`` seconds (cross-correlation)."""
    lo = max(0, round((around - reach) * SR))
    hi = min(len(programme), round((around + reach) * SR) + len(clip))
    window = programme[lo:hi]
    size = 1 << (len(window) + len(clip)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(clip, size)), size)
    valid = corr[: len(window) - len(clip) + 1]
    return (lo + int(np.argmax(valid))) / SR


def _srt_starts(path: Path) -> list[float]:
    """The start of every cue of an .srt file, in seconds."""
    found = re.findall(r"^(\d+):(\d\d):(\d\d),(\d{3}) --> ", path.read_text("utf-8"), re.M)
    return [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in found]


def test_clips_are_placed_and_everything_after_them_moves_by_their_length(
    baseline: Path, with_clips: Path, clips: dict[str, Path]
) -> None:
    a, b = _manifest(baseline), _manifest(with_clips)
    sounds = {s["kind"]: s for s in b["sounds"]}
    assert {s["file"] for s in sounds.values()} == {
        "intro.mp3",
        "chapter_sound-source.wav",
        "outro.ogg",
    }
    intro = sounds["intro"]["placements"]
    assert intro[0][0] == 0.0
    intro_len = intro[0][1] - intro[0][0]
    places = sounds["chapter_sound"]["placements"]
    sound_len = places[0][1] - places[0][0]
    assert len(places) == 4 and abs(sound_len - 0.4) < 0.014  # (padded to 1/75 s)
    for n, (ca, cb) in enumerate(zip(a["chapters"], b["chapters"], strict=True)):
        shift = 0.0 if n == 0 else intro_len + n * sound_len
        assert abs(cb["start"] - (ca["start"] + shift)) <= 0.0011, n
        if n:
            assert abs(places[n][0] - cb["start"]) <= 0.0011  # the sound opens the chapter
    for ua, ub in zip(a["utterances"], b["utterances"], strict=True):
        shift = intro_len + (ua["chapter"] + 1) * sound_len
        for key in ("start", "end", "voice_start", "voice_end"):
            assert abs(ub[key] - (ua[key] + shift)) <= 0.0011, (ua["id"], key)
    utterance = {u["id"]: u["chapter"] for u in a["utterances"]}
    for ca, cb in zip(a["cues"], b["cues"], strict=True):
        shift = intro_len + (utterance[ca["utterance"]] + 1) * sound_len
        assert abs(cb["start"] - (ca["start"] + shift)) <= 0.0011
    # The files written from them say the same: the chapter list and the subtitles.
    marks = [
        [
            c["startTime"]
            for c in json.loads((f / "talk.chapters.json").read_text("utf-8"))["chapters"]
        ]
        for f in (baseline, with_clips)
    ]
    for n, (ma, mb) in enumerate(zip(*marks, strict=True)):
        assert abs(mb - (ma + (0.0 if n == 0 else intro_len + n * sound_len))) <= 0.0015, n
    subtitles = [_srt_starts(f / "talk.srt") for f in (baseline, with_clips)]
    assert len(subtitles[0]) == len(a["cues"])
    for ca, sa, sb in zip(a["cues"], *subtitles, strict=True):
        shift = intro_len + (utterance[ca["utterance"]] + 1) * sound_len
        assert abs(sb - (sa + shift)) <= 0.0015
    outro = sounds["outro"]["placements"][0]
    assert abs(outro[1] - b["duration"]) <= 0.0011
    assert (
        abs(b["duration"] - (a["duration"] + intro_len + 4 * sound_len + outro[1] - outro[0]))
        <= 0.002
    )

    # In the decoded programme each clip is where the manifest says, to 10 ms.
    programme = decode(with_clips / "talk.wav")
    for kind, spans in (("intro", intro), ("chapter_sound", places), ("outro", [outro])):
        reference = _reference(clips[kind])
        for start, _ in spans:
            assert abs(_find(programme, reference, start) - start) <= 0.010, (kind, start)
    # Clips are levelled with the speech: the programme is still at the target.
    assert abs(integrated_loudness(programme, SR) - (-18.0)) <= 1.0


# ---------------------------------------------------------------------------------------------
# Music bed


def _lufs(signal: np.ndarray, spans: Sequence[tuple[float, float]]) -> float:
    """The project's BS.1770 meter on the stretches ``spans`` (seconds) of ``signal``, joined."""
    pieces = [signal[round(s * SR) : round(e * SR)] for s, e in spans]
    return integrated_loudness(np.concatenate(pieces), SR)


def test_music_bed_is_ducked_under_the_voice_and_at_its_level_between(
    baseline: Path, with_music: Path
) -> None:
    a, c = _manifest(baseline), _manifest(with_music)
    assert [u["start"] for u in a["utterances"]] == [u["start"] for u in c["utterances"]]
    speech, mixed = decode(baseline / "talk.wav"), decode(with_music / "talk.wav")
    assert len(mixed) > len(speech) + 2.5 * SR  # the bed's tail after the last utterance
    mixed = mixed[: len(speech)]
    voices = [(u["voice_start"], u["voice_end"]) for u in a["utterances"]]
    idx = np.concatenate([np.arange(round(s * SR), round(e * SR)) for s, e in voices])
    # The speech in the mix may have another overall gain (a second loudness pass): take it out.
    gain = float(np.dot(mixed[idx], speech[idx]) / np.dot(speech[idx], speech[idx]))
    assert 0.7 < gain < 1.4
    bed = mixed - gain * speech
    under = _lufs(gain * speech, voices) - _lufs(bed, voices)
    assert under >= 15.0, under
    gaps = [
        (end + DUCK_RELEASE_SECONDS + 0.05, start - DUCK_ATTACK_SECONDS - 0.05)
        for (_, end), (start, _) in zip(voices, voices[1:], strict=False)
    ]
    gaps = [(s, e) for s, e in gaps if e - s >= 0.5]
    assert len(gaps) >= 3
    between = _lufs(mixed, gaps)
    assert abs(between - MUSIC_LEVEL) <= 2.0, between
    print(f"bed under the voice: {under:.1f} dB; between utterances: {between:.1f} LUFS")
    music = {s["kind"]: s for s in c["sounds"]}["music"]
    assert music["file"] == "music.flac" and c["music_level_lufs"] == MUSIC_LEVEL
    assert abs(music["placements"][0][1] - c["duration"]) < 0.002  # to the end (no outro)
    # The programme, music and all, is still at the loudness target.
    whole = decode(with_music / "talk.wav")
    assert abs(integrated_loudness(whole, SR) - (-18.0)) <= 1.0
    assert abs(c["programme_lufs"] - (-18.0)) <= 1.0


# ---------------------------------------------------------------------------------------------
# The sounds themselves


def test_every_format_is_read(clips: dict[str, Path], tmp_path: Path) -> None:
    for kind, path in clips.items():
        samples = decode_audio(path.read_bytes(), path.name, f"{kind} file", SR)
        reference = _reference(path)
        assert abs(len(samples) - len(reference)) <= SR * 0.03, kind
        n = min(len(samples), len(reference))
        assert np.corrcoef(samples[:n], reference[:n])[0, 1] > 0.98, kind


def test_sounds_are_kept_by_content(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    production = ProductionSettings(intro=clips["intro"], music=clips["music"])
    kwargs: dict[str, Any] = {"rate": SR, "target": -18.0, "ceiling": -1.5, "grid": 320}
    first = prepare_sounds(production, store, **kwargs)
    assert len(first["intro"].samples) % 320 == 0

    def no_decoding(*args: Any) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr("tts_pipeline.audio.clips.decode_audio", no_decoding)
    again = prepare_sounds(production, store, **kwargs)
    assert np.array_equal(again["music"].samples, first["music"].samples)
    assert again["intro"].gain_db == first["intro"].gain_db
    with pytest.raises(AssertionError, match="decoded again"):  # another target: made again
        prepare_sounds(production, store, **{**kwargs, "target": -16.0})


def test_a_music_loop_has_no_seam() -> None:
    x = tone(1.9871, 220.0, 0.5)  # not a whole number of periods: played again, it jumps
    smooth = float(np.abs(np.diff(x)).max())
    assert abs(float(x[0] - x[-1])) > 5 * smooth
    loop = seamless_loop(x, SR)
    seam = abs(float(loop[0] - loop[-1]))
    assert seam <= 1.5 * smooth, (seam, smooth)
    assert float(np.abs(np.diff(loop)).max()) <= 1.5 * smooth


def test_a_preset_carries_the_house_sound(
    work: dict[str, Path], baseline: Path, clips: dict[str, Path]
) -> None:
    house = work["root"] / "house"
    (house / "sounds").mkdir(parents=True)
    (house / "sounds" / "sting.mp3").write_bytes(clips["intro"].read_bytes())
    (house / "music.flac").write_bytes(clips["music"].read_bytes())
    preset = house / "house.toml"
    preset.write_text(
        'engine = "local-zh"\nvoice = "baker"\ndisplay_name = "House"\n\n'
        '[production]\nintro = "sounds/sting.mp3"\nmusic = "music.flac"\nmusic_level = -30\n',
        encoding="utf-8",
    )
    out = _render(work, "house", "--voice", preset, "--format", "wav", "--no-page")
    manifest = _manifest(out)
    files = {s["kind"]: s["file"] for s in manifest["sounds"]}
    assert files == {"intro": "sting.mp3", "music": "music.flac"}
    assert manifest["music_level_lufs"] == -30.0
    assert manifest["voice"]["production"]["music_level"] == -30.0
    # The command line wins over the preset.
    out = _render(work, "house-28", "--voice", preset, "--music-level", "-28", "--format", "wav",
                  "--no-page")  # fmt: skip
    assert _manifest(out)["music_level_lufs"] == -28.0
