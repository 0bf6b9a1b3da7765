"""The user's sounds made ready for the programme, before any synthesis: each file read and
decoded (``user_audio``), levelled — a clip to the programme's loudness target, the music bed to
its own level — and kept in the take store under the hash of the file's bytes and of everything
that shaped it, like a take: a second render reads it back instead of decoding it again."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tts_pipeline.audio.loudness.limiter import gain_and_limit
from tts_pipeline.audio.loudness.meter import db_to_gain, measure_take
from tts_pipeline.audio.user_audio import decode_audio, read_audio_file
from tts_pipeline.engines.base import Take
from tts_pipeline.production import ProductionSettings
from tts_pipeline.synthesis.store import TakeStore

SOUND_CACHE_VERSION = 1
CLIP_MAX_GAIN_DB = 24.0  # a nearly silent file is not raised into a roar of its noise
MUSIC_LOOP_CROSSFADE_SECONDS = 0.5  # where the bed's end runs into its start again
SOUND_ENGINE = "sound"  # the engine name of a sound kept in the take store
WHAT = {
    "intro": "intro file",
    "outro": "outro file",
    "chapter_sound": "chapter sound file",
    "music": "music file",
}


@dataclass(frozen=True)
class Sound:
    """One of the user's sounds, ready to place (clips) or to mix (music).

    ``samples``: mono float32 at the programme's rate, levelled; a clip is padded with silence
    to a whole number of chapter-grid steps (its placed length), the music is a loop whose end
    runs seamlessly into its start. ``gain_db``: the gain that levelled it (None: left as it
    was); ``loudness``: the file's own loudness (LUFS); ``peak``: true peak as levelled, linear.
    """

    kind: str
    file: str
    sha256: str
    samples: np.ndarray
    gain_db: float | None
    loudness: float
    peak: float


def prepare_sounds(
    production: ProductionSettings,
    store: TakeStore,
    *,
    rate: int,
    target: float | None,
    ceiling: float,
    grid: int,
) -> dict[str, Sound]:
    """Every sound ``production`` names, by kind; a missing, unreadable, undecodable or empty
    file is one SettingsError line."""
    sounds: dict[str, Sound] = {}
    for kind, path in production.sounds.items():
        level = production.music_level if kind == "music" else target
        sounds[kind] = _sound(kind, path, store, rate, level, ceiling, grid)
    return sounds


def _sound(
    kind: str,
    path: Path,
    store: TakeStore,
    rate: int,
    level: float | None,
    ceiling: float,
    grid: int,
) -> Sound:
    data = read_audio_file(path, WHAT[kind])
    digest = hashlib.sha256(data).hexdigest()
    shape = "music" if kind == "music" else "clip"
    settings = f"{SOUND_CACHE_VERSION}:{shape}:{digest}:{rate}:{level}:{ceiling}:{grid}"
    key = hashlib.sha256(settings.encode("utf-8")).hexdigest()
    kept = store.get(key)
    if kept is not None and kept.engine == SOUND_ENGINE:
        numbers = json.loads(kept.voice)
        return Sound(
            kind,
            path.name,
            digest,
            kept.samples,
            numbers["gain_db"],
            numbers["lufs"],
            numbers["peak"],
        )
    samples = decode_audio(data, str(path), WHAT[kind], rate)
    measured = measure_take(samples, rate)
    gain: float | None = None
    peak = measured.peak
    if level is not None and math.isfinite(measured.own):
        gain = min(level - measured.own, CLIP_MAX_GAIN_DB)
        samples = gain_and_limit(samples, gain, measured.peak, ceiling, rate)
        peak = min(measured.peak * db_to_gain(gain), db_to_gain(ceiling))
    if kind == "music":
        samples = seamless_loop(samples, rate)
    elif grid:
        samples = np.concatenate([samples, np.zeros(-len(samples) % grid, dtype=np.float32)])
    samples = samples.astype(np.float32, copy=False)
    numbers = {"gain_db": gain, "lufs": measured.own, "peak": peak}
    # Kept as a take (the store checks and removes takes the same way); what levelling found
    # rides in its voice field, read back above.
    store.put(key, Take(samples, rate, SOUND_ENGINE, json.dumps(numbers)))
    return Sound(kind, path.name, digest, samples, gain, measured.own, peak)


def seamless_loop(samples: np.ndarray, rate: int) -> np.ndarray:
    """The samples as a loop: their last stretch crossfaded into their first, so playing the
    result again and again has no seam (equal-power fades; a short file gets a shorter fade)."""
    fade = min(round(MUSIC_LOOP_CROSSFADE_SECONDS * rate), len(samples) // 4)
    if fade < 2:
        return samples
    t = np.linspace(0.0, np.pi / 2, fade, dtype=np.float64)
    body = samples[fade:].astype(np.float32, copy=True)
    body[-fade:] = samples[-fade:] * np.cos(t) + samples[:fade] * np.sin(t)
    return body
