"""``espeak``: eSpeak NG, an offline formant synthesizer for 100+ languages (robotic, but it
speaks what the offline neural voice cannot, e.g. English).

Uses the system ``espeak-ng`` program (not a Python binding): the text goes in on stdin, a WAV
comes back on stdout (``--stdout``). When the program is missing the engine says how to install
it (``apt-get install espeak-ng``).

Voice settings map onto its options so that they mean what they mean on every engine:

* rate "+10%" → ``-s`` words per minute, 175 × 1.1 (measured: duration scales as 1 / wpm);
* pitch "+20Hz" → ``-p`` 0…99 (default 50). The base pitch moves by a factor per step; measured
  for en-us (median F0 of voiced frames): p 20/40/50/60/80/99 → 89/103/109/116/138/168 Hz, i.e.
  about 85 steps per octave around 110 Hz. ``-p = 50 + 85·log2((110 + Hz) / 110)``;
* volume "-50%" → ``-a`` amplitude 0…200 (default 100), which espeak-ng applies as a linear gain
  (measured: -a 50 halves the peak).
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tts_pipeline.engines.base import Speakability, SynthesisRequest, Take
from tts_pipeline.engines.speakable import assess, by_script
from tts_pipeline.errors import EngineUnavailable, SettingsError, SynthesisError

if TYPE_CHECKING:
    from tts_pipeline.voices import VoiceProfile

ENGINE_NAME = "espeak"
ENGINE_VERSION = "1"  # bump when the mapping of settings changes
PROGRAM = "espeak-ng"
INSTALL_HINT = "apt-get install espeak-ng"

DEFAULT_WPM = 175
MIN_WPM, MAX_WPM = 80, 450
DEFAULT_PITCH = 50
PITCH_STEPS_PER_OCTAVE = 85.0
BASE_F0_HZ = 110.0  # en-us at -p 50 (measured)
DEFAULT_AMPLITUDE = 100
MAX_AMPLITUDE = 200
TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class EspeakParams:
    """A voice profile's settings as espeak-ng options."""

    speed: int  # -s, words per minute
    pitch: int  # -p, 0..99
    amplitude: int  # -a, 0..200

    @classmethod
    def from_voice(cls, voice: VoiceProfile) -> EspeakParams:
        speed = round(DEFAULT_WPM * voice.rate_ratio)
        if not MIN_WPM <= speed <= MAX_WPM:
            raise SettingsError(
                f"rate {voice.rate} is outside what espeak-ng can do "
                f"({_percent(MIN_WPM)} to {_percent(MAX_WPM)})"
            )
        target = BASE_F0_HZ + voice.pitch_hz
        pitch = (
            round(DEFAULT_PITCH + PITCH_STEPS_PER_OCTAVE * math.log2(target / BASE_F0_HZ))
            if target > 0
            else -1
        )
        if not 0 <= pitch <= 99:
            low, high = _pitch_limit(0), _pitch_limit(99)
            raise SettingsError(
                f"pitch {voice.pitch} is outside what espeak-ng can do ({low:+d}Hz to {high:+d}Hz)"
            )
        amplitude = min(MAX_AMPLITUDE, max(0, round(DEFAULT_AMPLITUDE * voice.volume_ratio)))
        return cls(speed=speed, pitch=pitch, amplitude=amplitude)

    def options(self) -> list[str]:
        return ["-s", str(self.speed), "-p", str(self.pitch), "-a", str(self.amplitude)]


def _percent(wpm: int) -> str:
    return f"{round(100 * wpm / DEFAULT_WPM) - 100:+d}%"


def _pitch_limit(step: int) -> int:
    hz = BASE_F0_HZ * 2 ** ((step - DEFAULT_PITCH) / PITCH_STEPS_PER_OCTAVE) - BASE_F0_HZ
    return math.ceil(hz) if hz < 0 else math.floor(hz)


class EspeakEngine:
    """Offline eSpeak NG through the ``espeak-ng`` program (``binary``: its path or name)."""

    name = ENGINE_NAME

    def __init__(self, binary: str | None = None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self._binary = binary or PROGRAM
        self._timeout = timeout
        self._checked: set[str] = set()

    # -- Engine protocol --------------------------------------------------------------------

    def identity(self, voice: VoiceProfile) -> str:
        params = EspeakParams.from_voice(voice)
        return f"{self.version()}; voice {voice.voice} {' '.join(params.options())}"

    def version(self) -> str:
        """This engine and the espeak-ng program it runs (EngineUnavailable if it is not
        installed)."""
        return f"{ENGINE_NAME} v{ENGINE_VERSION}; {_program_version(self.program())}"

    def check(self, voice: VoiceProfile) -> None:
        EspeakParams.from_voice(voice)
        program = self.program()
        if voice.voice in self._checked:
            return
        try:
            result = subprocess.run(
                [program, "-v", voice.voice, "-q", "--stdin"],
                input=b"a",
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineUnavailable(f"espeak-ng does not run: {exc}") from None
        if result.returncode != 0:
            detail = _last_line(result.stderr) or f"exit code {result.returncode}"
            raise SettingsError(
                f"espeak-ng cannot use voice {voice.voice!r} ({detail}); "
                "list its voices with `espeak-ng --voices`"
            )
        self._checked.add(voice.voice)

    def speakability(self, text: str, voice: VoiceProfile) -> Speakability:
        """The letters of the voice's language and every number and symbol (eSpeak NG names
        symbols and emoji); a letter of another script it reads out as "Chinese letter"."""
        return assess(text, by_script(voice.language))

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        """Yield (index, take) in completion order, ``jobs`` espeak-ng processes at a time."""
        self.check(voice)
        params = EspeakParams.from_voice(voice)
        return self._iterate(list(requests), voice, params, max(1, int(jobs)))

    # -- internals ----------------------------------------------------------------------------

    def program(self) -> str:
        """The espeak-ng executable, or EngineUnavailable naming the install command."""
        found = shutil.which(self._binary)
        if found is None:
            raise EngineUnavailable(
                f"the espeak voice needs the espeak-ng program, which is not installed "
                f"(install it with `{INSTALL_HINT}`, or choose another voice)"
            )
        return found

    def _iterate(
        self,
        requests: list[SynthesisRequest],
        voice: VoiceProfile,
        params: EspeakParams,
        jobs: int,
    ) -> Iterator[tuple[int, Take]]:
        if not requests:
            return
        program = self.program()
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {
                pool.submit(self._one, program, request.text, voice, params): request.index
                for request in requests
            }
            try:
                for future in concurrent.futures.as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()

    def _one(self, program: str, text: str, voice: VoiceProfile, params: EspeakParams) -> Take:
        command = [program, "-v", voice.voice, *params.options(), "-b", "1", "--stdout", "--stdin"]
        try:
            result = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SynthesisError(
                f"espeak-ng took longer than {self._timeout:g} s for one utterance"
            ) from None
        except OSError as exc:
            raise EngineUnavailable(f"espeak-ng does not run: {exc}") from None
        if result.returncode != 0:
            detail = _last_line(result.stderr) or f"exit code {result.returncode}"
            raise SynthesisError(f"espeak-ng failed: {detail}")
        samples, rate = parse_wav(result.stdout)
        return Take(samples, rate, ENGINE_NAME, voice.voice)


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV → (mono float32 samples, sample rate).

    espeak-ng writes the WAV to a pipe before it knows its length, so the RIFF and data sizes are
    placeholders: the samples are whatever follows the ``data`` chunk header.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SynthesisError("espeak-ng did not produce a WAV file")
    position = 12
    rate = channels = bits = 0
    while position + 8 <= len(data):
        chunk_id = data[position : position + 4]
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        body = position + 8
        if chunk_id == b"fmt ":
            channels = int.from_bytes(data[body + 2 : body + 4], "little")
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
            bits = int.from_bytes(data[body + 14 : body + 16], "little")
        elif chunk_id == b"data":
            if bits != 16 or channels < 1 or rate <= 0:
                raise SynthesisError(
                    f"espeak-ng wrote an unexpected WAV ({bits}-bit, {channels} ch, {rate} Hz)"
                )
            payload = data[body:]
            usable = len(payload) - len(payload) % (2 * channels)
            pcm = np.frombuffer(payload[:usable], dtype="<i2").reshape(-1, channels)
            samples = (pcm.mean(axis=1) / 32768.0).astype(np.float32)
            return samples, rate
        position = body + size + (size & 1)
    raise SynthesisError("espeak-ng wrote a WAV file without audio")


@functools.cache
def _program_version(program: str) -> str:
    try:
        result = subprocess.run(
            [program, "--version"], capture_output=True, timeout=10, check=False, text=True
        )
    except (OSError, subprocess.TimeoutExpired):
        return "espeak-ng ?"
    words = result.stdout.split()
    version = next((w for w in words if w[:1].isdigit()), "?")
    return f"espeak-ng {version}"


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip() if lines else ""
