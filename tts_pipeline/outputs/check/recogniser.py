"""The speech recogniser of proof-listening: faster-whisper (from the ``check`` extra) on the CPU,
and the audio as it listens to it (16 kHz mono, decoded by ffmpeg). The extra's modules are
imported when a check runs, so everything else works without them."""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tts_pipeline.errors import PipelineError
from tts_pipeline.ffmpeg import ffmpeg_exe
from tts_pipeline.outputs.check.asr_model import INSTALL_HINT, CheckUnavailable, ModelChoice

SAMPLE_RATE = 16_000  # what Whisper listens at
BEAM_SIZE = 5
SAMPLING_SEED = 1
EXTRA_MODULES = ("faster_whisper", "ctranslate2")


class Transcriber(Protocol):
    """Turns one utterance's samples (16 kHz mono float32) into text; ``label`` names it."""

    @property
    def label(self) -> str: ...

    def transcribe(self, samples: np.ndarray) -> str: ...


def import_extra(module: str) -> Any:
    """A module of the ``check`` extra, or one line saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CheckUnavailable(
            f"proof-listening needs the check extra ({module} is not installed): {INSTALL_HINT}"
        ) from None


def whisper_language(language: str) -> str | None:
    """Whisper's code for a manifest language (zh-CN → zh); None lets it detect."""
    code = language.split("-")[0].lower()
    return code or None


class WhisperTranscriber:
    """faster-whisper on the CPU (int8), beam search. A stretch whose transcript loops (it
    compresses too well) is decoded again by sampling at rising temperatures (faster-whisper's
    fallback); the sampler is seeded before every utterance, so the same audio always gives the
    same transcript."""

    def __init__(self, choice: ModelChoice, language: str) -> None:
        faster_whisper = import_extra("faster_whisper")
        self._seed = import_extra("ctranslate2").set_random_seed
        self._label = choice.label
        self.language = whisper_language(language)
        try:
            self._model = faster_whisper.WhisperModel(
                choice.source,
                device="cpu",
                compute_type="int8",
                cpu_threads=os.cpu_count() or 1,
                local_files_only=choice.local,
            )
        except Exception as exc:  # noqa: BLE001 - whatever loading raised, one line for the user
            raise PipelineError(
                f"cannot load the speech recognition model {choice.label}: "
                f"{' '.join(str(exc).split()) or type(exc).__name__}"
            ) from None

    @property
    def label(self) -> str:
        return self._label

    def transcribe(self, samples: np.ndarray) -> str:
        self._seed(SAMPLING_SEED)
        segments, _info = self._model.transcribe(
            samples,
            language=self.language,
            beam_size=BEAM_SIZE,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return "".join(str(segment.text) for segment in segments).strip()


def decode_audio(path: Path) -> np.ndarray:
    """The whole file as 16 kHz mono float32 samples."""
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path)]
    cmd += ["-map", "0:a:0", "-f", "f32le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"ffmpeg exit code {proc.returncode}"
        raise PipelineError(f"cannot decode the audio file {path}: {why}")
    usable = len(proc.stdout) - len(proc.stdout) % 4
    return np.frombuffer(proc.stdout[:usable], dtype="<f4")
