"""Proof-listening a render: find its files (``layout``), read its manifest (``manifest_reader``),
check that the audio is the one the manifest describes, transcribe each utterance's span
(``recogniser``), score it against the spoken text (``report``), and write the report, and with
``page`` the listening page with the flagged sentences marked, beside the audio (``sidecars``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.check.asr_model import choose_model, packaged_sources
from tts_pipeline.outputs.check.recogniser import (
    EXTRA_MODULES,
    SAMPLE_RATE,
    Transcriber,
    WhisperTranscriber,
    decode_audio,
    import_extra,
)
from tts_pipeline.outputs.check.report import (
    DEFAULT_RULE,
    CheckReport,
    FlagRule,
    Heard,
    ReportHeader,
    UtteranceCheck,
    build_report,
    score,
)
from tts_pipeline.outputs.containers import FORMATS
from tts_pipeline.outputs.layout import SIDECAR_SUFFIXES, OutputLayout
from tts_pipeline.outputs.manifest import Manifest
from tts_pipeline.outputs.manifest_reader import read_manifest
from tts_pipeline.outputs.page.model import PageFlag
from tts_pipeline.outputs.sidecars import mark_page, write_check_report
from tts_pipeline.synthesis.progress import NoProgress, Progress

# The decoded audio may differ from the manifest's duration by encoder padding (a few ms);
# more than this and the manifest describes another render.
DURATION_TOLERANCE = 0.25
# Each utterance's span is widened by this much (clipped to the pauses around it), so a
# take's first and last sounds are never cut.
SPAN_MARGIN = 0.1
# How many of a flagged utterance's differences the listening page shows.
PAGE_DIFFERENCES = 8
AUDIO_EXTENSIONS = {spec.extension for spec in FORMATS.values()}


@dataclass(frozen=True)
class RenderFiles:
    """The files of the render being checked (``page``: None if it has no listening page)."""

    layout: OutputLayout
    audio: Path
    page: Path | None


@dataclass(frozen=True)
class CheckResult:
    report: CheckReport
    files: RenderFiles
    report_path: Path
    model: str  # the recogniser's model, as the report names it
    audio_seconds: float
    transcribe_seconds: float
    page_marked: bool


def find_render(target: Path) -> tuple[RenderFiles, Manifest]:
    """The files of the render that ``target`` (its audio, manifest, page or report, or the
    folder of one render) belongs to, and its manifest."""
    if not target.exists():
        raise PipelineError(f"nothing to check: {target} does not exist")
    if target.is_dir():
        manifests = sorted(target.glob(f"*{SIDECAR_SUFFIXES['manifest']}"))
        if len(manifests) != 1:
            found = f"{len(manifests)} manifests" if manifests else "no manifest"
            raise PipelineError(
                f"nothing to check: {found} in the directory {target}; give the audio file "
                "or the manifest of one render"
            )
        layout = OutputLayout.of(manifests[0])
    else:
        layout = OutputLayout.of(target)
    if not layout.manifest.is_file():
        raise PipelineError(
            f"no manifest for {target}: {layout.manifest.name} is not beside it (check reads the "
            "manifest the render wrote next to the audio)"
        )
    manifest = read_manifest(layout.manifest)
    listed = [name for kind, name in manifest.outputs.items() if kind in FORMATS]
    if target.is_file() and target.suffix.lstrip(".").lower() in AUDIO_EXTENSIONS:
        audio = target
    elif listed:
        audio = layout.folder / Path(listed[0]).name
    else:
        raise PipelineError(f"the manifest {layout.manifest.name} names no audio file")
    if not audio.is_file():
        raise PipelineError(f"the audio file {audio} named by {layout.manifest.name} is missing")
    page = layout.page if "page" in manifest.outputs else None
    return RenderFiles(layout, audio, page), manifest


def require_recogniser(model: str | None = None) -> None:
    """Fail now, not after a render, when the check could not run: the extra's modules, and
    the packaged model's files or the folder ``model`` names."""
    for module in EXTRA_MODULES:
        import_extra(module)
    if model is None:
        packaged_sources()
    else:
        choose_model(model)


def check_matches(manifest: Manifest, samples: np.ndarray, audio: Path) -> None:
    """The audio is the one the manifest describes: the same duration."""
    seconds = len(samples) / SAMPLE_RATE
    if abs(seconds - manifest.duration) > DURATION_TOLERANCE:
        raise PipelineError(
            f"{audio.name} does not match its manifest: it lasts {seconds:.2f} s, the manifest "
            f"says {manifest.duration:.2f} s (was it rendered again, cut or replaced? render again)"
        )


def utterance_spans(manifest: Manifest, total: float) -> list[tuple[float, float]]:
    """Each utterance's (start, end) in seconds, widened by the margin into the pauses."""
    utterances = manifest.utterances
    spans = []
    for i, u in enumerate(utterances):
        before = utterances[i - 1].end if i else 0.0
        after = utterances[i + 1].start if i + 1 < len(utterances) else total
        spans.append((max(before, u.start - SPAN_MARGIN), min(after, u.end + SPAN_MARGIN)))
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
    """Proof-listen to the render ``target`` belongs to (``model``: ``--asr-model``, None for the
    packaged one); writes ``<stem>.check.json`` and with ``page`` marks the flagged sentences on
    the render's listening page."""
    progress = progress or NoProgress()
    files, manifest = find_render(target)
    if page and (files.page is None or not files.page.is_file()):
        raise PipelineError(
            f"no listening page to mark for {files.audio.name} (rendered with --no-page?)"
        )
    samples = decode_audio(files.audio)
    check_matches(manifest, samples, files.audio)
    language = manifest.language or "zh-CN"
    if transcriber is None:
        progress.stage("Loading the recogniser")
        transcriber = WhisperTranscriber(choose_model(model), language)
    total = len(samples) / SAMPLE_RATE
    progress.stage("Transcribing")
    progress.start(total=len(manifest.utterances), done=0)
    began = time.perf_counter()
    checks: list[UtteranceCheck] = []
    for u, (start, end) in zip(manifest.utterances, utterance_spans(manifest, total), strict=True):
        span = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        heard = Heard(
            id=u.id,
            start=u.start,
            end=u.end,
            text=u.text,
            spoken=u.spoken,
            transcript=transcriber.transcribe(span) if len(span) else "",
        )
        checks.append(score(heard, language))
        progress.advance(1)
    seconds = time.perf_counter() - began
    report = build_report(checks, rule)
    header = ReportHeader(files.audio.name, files.layout.manifest.name, language, transcriber.label)
    report_path = write_check_report(files.layout, report, header)
    marked = page and files.page is not None
    if marked:
        mark_page(files.layout, manifest, page_flags(report))
    return CheckResult(report, files, report_path, transcriber.label, total, seconds, marked)


def page_flags(report: CheckReport) -> dict[str, PageFlag]:
    """Flagged utterance id → what the listening page says about it."""
    return {
        u.id: PageFlag(
            cer=round(u.cer, 3),
            heard=u.transcript,
            differences=tuple((d.expected, d.heard) for d in u.differences[:PAGE_DIFFERENCES]),
        )
        for u in report.flagged
    }
