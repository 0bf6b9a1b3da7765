"""Proof-listening: transcribe a render's utterances with a speech recogniser and score them.

``check_render`` reads the manifest and the audio of a render, checks that they belong together,
transcribes each utterance's span (faster-whisper, from the ``check`` extra), scores it against
the spoken text (``scoring``), writes ``<stem>.check.json`` and, when asked, marks the flagged
sentences on the listening page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from tts_pipeline.containers import FORMATS
from tts_pipeline.errors import PipelineError
from tts_pipeline.export import ffmpeg_exe, write_text_atomic
from tts_pipeline.outputs.asr_model import INSTALL_HINT, CheckUnavailable, ModelChoice, choose_model
from tts_pipeline.outputs.scoring import (
    DEFAULT_RULE,
    CheckReport,
    FlagRule,
    Heard,
    build_report,
    score,
)

if TYPE_CHECKING:
    from tts_pipeline.render import Progress

MANIFEST_SUFFIX = ".manifest.json"
REPORT_SUFFIX = ".check.json"
PAGE_SUFFIX = ".html"
SAMPLE_RATE = 16_000  # what Whisper listens at
# The decoded audio may differ from the manifest's duration by encoder padding (a few ms);
# more than this and the manifest describes another render.
DURATION_TOLERANCE = 0.25
# Each utterance's span is widened by this much (clipped to the pauses around it), so a
# take's first and last sounds are never cut.
SPAN_MARGIN = 0.1
BEAM_SIZE = 5
SAMPLING_SEED = 1
REPORT_VERSION = 1
# Utterance ids are cNN-pNNN, or cNN-pNNN-sN for the pieces of a split paragraph (segment.py).
_PIECE_ID = re.compile(r"^(c\d+-p\d+)-s\d+$")


# ---------------------------------------------------------------------------------------------
# The render's files


@dataclass(frozen=True)
class RenderFiles:
    stem: str
    manifest: Path
    audio: Path
    report: Path
    page: Path | None  # the listening page, if the render wrote one


def _stem_of(target: Path) -> str:
    name = target.name
    for suffix in (MANIFEST_SUFFIX, REPORT_SUFFIX, ".chapters.vtt", ".chapters.json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return target.stem


def find_render(target: Path) -> tuple[RenderFiles, dict[str, Any]]:
    """The files of the render that ``target`` (its audio, manifest or page, or the folder of
    one render) belongs to, and its manifest."""
    if not target.exists():
        raise PipelineError(f"nothing to check: {target} does not exist")
    if target.is_dir():
        manifests = sorted(target.glob(f"*{MANIFEST_SUFFIX}"))
        if len(manifests) != 1:
            found = f"{len(manifests)} manifests" if manifests else "no manifest"
            raise PipelineError(
                f"nothing to check: {found} in the directory {target}; give the audio file "
                "or the manifest of one render"
            )
        manifest_path = manifests[0]
    else:
        manifest_path = target.parent / f"{_stem_of(target)}{MANIFEST_SUFFIX}"
    stem = manifest_path.name[: -len(MANIFEST_SUFFIX)]
    if not manifest_path.is_file():
        raise PipelineError(
            f"no manifest for {target}: {manifest_path.name} is not beside it (check reads the "
            "manifest the render wrote next to the audio)"
        )
    manifest = read_manifest(manifest_path)
    outputs = manifest.get("outputs") or {}
    audio_name = next(
        (str(name) for kind, name in outputs.items() if kind in FORMATS),
        None,
    )
    if target.is_file() and target.suffix.lstrip(".").lower() in FORMATS:
        audio = target
    elif audio_name:
        audio = manifest_path.parent / Path(audio_name).name
    else:
        raise PipelineError(f"the manifest {manifest_path.name} names no audio file")
    if not audio.is_file():
        raise PipelineError(f"the audio file {audio} named by {manifest_path.name} is missing")
    page_name = outputs.get("page")
    page = manifest_path.parent / Path(str(page_name)).name if page_name else None
    report = manifest_path.parent / f"{stem}{REPORT_SUFFIX}"
    return RenderFiles(stem, manifest_path, audio, report, page), manifest


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise PipelineError(f"cannot read the manifest {path}: not a render's manifest") from None
    utterances = data.get("utterances") if isinstance(data, dict) else None
    if not isinstance(utterances, list) or not all(
        isinstance(u, dict) and {"id", "start", "end", "spoken"} <= u.keys() for u in utterances
    ):
        raise PipelineError(f"{path} is not a render's manifest (no utterances with times)")
    return data


def decode_audio(path: Path) -> np.ndarray:
    """The whole file as 16 kHz mono float32 samples (ffmpeg from imageio-ffmpeg)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path)]
    cmd += ["-map", "0:a:0", "-f", "f32le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"ffmpeg exit code {proc.returncode}"
        raise PipelineError(f"cannot decode the audio file {path}: {why}")
    return np.frombuffer(proc.stdout, dtype="<f4")


def check_matches(manifest: dict[str, Any], samples: np.ndarray, audio: Path) -> None:
    """The audio is the one the manifest describes: same duration, every utterance inside."""
    seconds = len(samples) / SAMPLE_RATE
    expected = float(manifest.get("duration", 0.0))
    if abs(seconds - expected) > DURATION_TOLERANCE:
        raise PipelineError(
            f"{audio.name} does not match its manifest: it lasts {seconds:.2f} s, the manifest "
            f"says {expected:.2f} s (was it rendered again, cut or replaced? render again)"
        )


# ---------------------------------------------------------------------------------------------
# The recogniser


class Transcriber(Protocol):
    label: str

    def transcribe(self, samples: np.ndarray) -> str: ...


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
        self.label = choice.label
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

    def transcribe(self, samples: np.ndarray) -> str:
        self._seed(SAMPLING_SEED)
        segments, _info = self._model.transcribe(
            samples,
            language=self.language,
            beam_size=BEAM_SIZE,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return "".join(segment.text for segment in segments).strip()


def import_extra(module: str) -> Any:
    """A module of the ``check`` extra, or one line saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise CheckUnavailable(
            f"proof-listening needs the check extra ({module} is not installed): {INSTALL_HINT}"
        ) from None


def simplifier() -> Callable[[str], str]:
    """Traditional → simplified characters (OpenCC's t2s tables, from the check extra)."""
    converter = import_extra("opencc").OpenCC("t2s")
    return converter.convert  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# Checking


@dataclass(frozen=True)
class CheckResult:
    report: CheckReport
    files: RenderFiles
    model: str
    audio_seconds: float
    transcribe_seconds: float
    page_marked: bool


def utterance_spans(manifest: dict[str, Any], total: float) -> list[tuple[float, float]]:
    """Each utterance's (start, end) in seconds, widened by the margin into the pauses."""
    utterances = manifest["utterances"]
    spans = []
    for i, u in enumerate(utterances):
        before = float(utterances[i - 1]["end"]) if i else 0.0
        after = float(utterances[i + 1]["start"]) if i + 1 < len(utterances) else total
        start, end = float(u["start"]), float(u["end"])
        spans.append((max(before, start - SPAN_MARGIN), min(after, end + SPAN_MARGIN)))
    return spans


def check_render(
    target: Path,
    model: str | None = None,
    *,
    page: bool = False,
    progress: Progress | None = None,
    rule: FlagRule = DEFAULT_RULE,
    transcriber: Transcriber | None = None,
) -> CheckResult:
    """Proof-listen to the render ``target`` belongs to; writes ``<stem>.check.json`` (and with
    ``page`` marks the flagged sentences on its listening page)."""
    files, manifest = find_render(target)
    samples = decode_audio(files.audio)
    check_matches(manifest, samples, files.audio)
    if page and (files.page is None or not files.page.is_file()):
        raise PipelineError(
            f"no listening page to mark for {files.audio.name} (rendered with --no-page?)"
        )
    language = str(manifest.get("language") or "zh-CN")
    to_simplified = simplifier()
    if transcriber is None:
        transcriber = WhisperTranscriber(choose_model(model), language)
    total = len(samples) / SAMPLE_RATE
    utterances = manifest["utterances"]
    if progress is not None:
        progress.start(total=len(utterances), done=0)
        progress.stage("Transcribing")
    began = time.perf_counter()
    checks = []
    for u, (start, end) in zip(utterances, utterance_spans(manifest, total), strict=True):
        span = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        heard = Heard(
            id=str(u["id"]),
            start=float(u["start"]),
            end=float(u["end"]),
            text=str(u.get("text", "")),
            spoken=str(u["spoken"]),
            transcript=transcriber.transcribe(span) if len(span) else "",
        )
        checks.append(score(heard, language, to_simplified))
        if progress is not None:
            progress.advance(1)
    seconds = time.perf_counter() - began
    report = build_report(checks, rule)
    data = {
        "format_version": REPORT_VERSION,
        "audio": files.audio.name,
        "manifest": files.manifest.name,
        "language": language,
        "model": transcriber.label,
        **report.to_json(),
    }
    write_text_atomic(files.report, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if page and files.page is not None:
        mark_page(files.page, manifest, report)
    return CheckResult(report, files, transcriber.label, total, seconds, page and bool(files.page))


def paragraph_keys(manifest: dict[str, Any]) -> dict[str, str]:
    """Utterance id → paragraph: the pieces of a split paragraph form one paragraph again."""
    keys = {}
    for u in manifest["utterances"]:
        uid = str(u["id"])
        match = _PIECE_ID.match(uid)
        keys[uid] = match.group(1) if match else uid
    return keys


def page_flags(report: CheckReport) -> dict[str, dict[str, Any]]:
    """Flagged utterance id → what the page says about it."""
    return {
        u.id: {
            "cer": round(u.cer, 3),
            "heard": u.transcript,
            "differences": [[d.expected, d.heard] for d in u.differences[:8]],
        }
        for u in report.flagged
    }


def mark_page(path: Path, manifest: dict[str, Any], report: CheckReport) -> None:
    """Write the listening page again, with the flagged sentences marked."""
    from tts_pipeline.page import write_page

    overview = (manifest.get("outputs") or {}).get("overview")
    write_page(
        path,
        manifest,
        paragraph_keys(manifest),
        Path(str(overview)).name if overview else None,
        flags=page_flags(report),
    )
