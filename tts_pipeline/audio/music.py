"""A music bed under the speech, mixed while the programme streams: the levelled loop (``clips``)
played again and again, ducked while the voice speaks (the timeline knows every voice's span to
the sample, so the bed starts going down before the voice starts), faded in where the bed starts
and out over its tail after the last utterance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Under the voice the bed sits this far under the programme's loudness target (the issue asks
# for at least 15 dB; the rest is room for the loudest stretches of a music file).
MUSIC_UNDER_SPEECH_DB = 18.0
DUCK_ATTACK_SECONDS = 0.25  # the bed goes down this long before a voice starts
DUCK_RELEASE_SECONDS = 0.35  # and comes back up this long after it ends
MUSIC_FADE_IN_SECONDS = 1.0
MUSIC_TAIL_SECONDS = 3.0  # after the last utterance the bed comes up and fades out over this


def duck_depth(music_level: float, speech_level: float) -> float:
    """How far (dB) the bed goes down under the voice: to MUSIC_UNDER_SPEECH_DB under the speech,
    or not at all when it is that quiet already."""
    return max(0.0, music_level - (speech_level - MUSIC_UNDER_SPEECH_DB))


def _smooth(x: np.ndarray) -> np.ndarray:
    """0…1 → 0…1 with zero slope at both ends (a raised cosine)."""
    shaped: np.ndarray = 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))
    return shaped


class MusicBed:
    """The bed's samples for any stretch of the programme (``mix``).

    ``loop``: the levelled bed (mono, programme rate); ``duck_db``: how far it goes down under
    the voice; ``peak``: the loop's true peak (linear), for the caller's bound on the mix."""

    def __init__(self, loop: np.ndarray, rate: int, duck_db: float, peak: float) -> None:
        if not len(loop):
            raise ValueError("an empty music bed")
        self.loop = loop.astype(np.float32, copy=False)
        self.rate = rate
        self.duck_db = duck_db
        self.peak = peak
        self.tail = round(MUSIC_TAIL_SECONDS * rate)
        self._attack = round(DUCK_ATTACK_SECONDS * rate)
        self._release = round(DUCK_RELEASE_SECONDS * rate)
        self._fade_in = round(MUSIC_FADE_IN_SECONDS * rate)

    def gains(
        self,
        start: int,
        count: int,
        voices: Sequence[tuple[int, int]],
        span: tuple[int, int | None],
    ) -> np.ndarray:
        """The bed's gain (linear) for samples ``start … start+count`` of the programme:
        ``voices`` are the (start, end) of the voices near them, ``span`` where the bed plays
        (its end None while not known: it is known before the tail is written)."""
        t = np.arange(start, start + count, dtype=np.int64)
        bed_start, bed_end = span
        gain = _smooth((t - bed_start + 1) / max(1, self._fade_in))
        if bed_end is not None:
            gain *= _smooth((bed_end - t) / max(1, self.tail))
        gain[t < bed_start] = 0.0
        duck = np.zeros(count)
        for a, b in voices:
            if b <= a or b + self._release <= start or a - self._attack >= start + count:
                continue
            before = 1.0 - (a - t) / max(1, self._attack)
            after = 1.0 - (t - b) / max(1, self._release)
            near = np.where(t < a, before, np.where(t >= b, after, 1.0))
            duck = np.maximum(duck, _smooth(near))
        shaped: np.ndarray = gain * 10.0 ** (-self.duck_db * duck / 20.0)
        return shaped

    def mix(
        self,
        chunk: np.ndarray,
        start: int,
        voices: Sequence[tuple[int, int]],
        span: tuple[int, int | None],
    ) -> tuple[np.ndarray, float]:
        """``chunk`` (programme samples from ``start``) with the bed under it, and the bed's
        largest gain there (linear)."""
        gains = self.gains(start, len(chunk), voices, span)
        top = float(np.max(gains)) if len(gains) else 0.0
        if top <= 0.0:
            return chunk, 0.0
        where = (np.arange(start, start + len(chunk)) - span[0]) % len(self.loop)
        mixed = chunk + (self.loop[where] * gains).astype(np.float32)
        return mixed.astype(np.float32, copy=False), top
