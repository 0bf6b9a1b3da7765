"""The files beside a render's audio, all written here, each atomically: the overview picture,
the cue sheet (beside a WAV file), the subtitles and chapter files, the listening page and,
last, the manifest that lists them all; later, proof-listening's report and the listening page
with what it flagged (``tts-pipeline check``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline.atomic import atomic_path, write_text_atomic
from tts_pipeline.outputs import subtitles
from tts_pipeline.outputs.check.report import CheckReport, ReportHeader
from tts_pipeline.outputs.cue_sheet import cue_sheet
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.outputs.manifest import Manifest, build_manifest
from tts_pipeline.outputs.page.html import write_page
from tts_pipeline.outputs.page.model import PageFlag
from tts_pipeline.outputs.programme import Programme
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.synthesis.fallback import FallbackUse
from tts_pipeline.text.segment import Plan
from tts_pipeline.voices import VoiceProfile


@dataclass(frozen=True)
class Sidecars:
    """What to write beside the audio."""

    subtitles: bool = True  # .srt, .vtt, .chapters.vtt, .chapters.json
    page: bool = True  # the listening page (and the overview picture, if the programme drew it)


def write_sidecars(
    layout: OutputLayout,
    plan: Plan,
    programme: Programme,
    tags: Tags,
    wanted: Sidecars,
    *,
    source: str,
    voice: VoiceProfile,
    fallback: FallbackUse | None = None,
) -> tuple[dict[str, Path], Manifest]:
    """Write every file beside the programme's audio; returns every file of the render (kind →
    path, the audio first) and its manifest."""
    timeline = programme.timeline
    outputs: dict[str, Path] = dict(programme.audio)
    if programme.overview_png is not None:
        outputs["overview"] = layout.sidecar("overview")
        with atomic_path(outputs["overview"]) as tmp:
            tmp.write_bytes(programme.overview_png)
    if "wav" in programme.audio:
        outputs["cue"] = layout.sidecar("cue")
        write_text_atomic(outputs["cue"], cue_sheet(timeline, tags, programme.audio["wav"].name))
    cues: list[subtitles.Cue] = []
    if wanted.subtitles:
        cues = subtitles.build_cues(plan, timeline, programme.boundaries)
        texts = {
            "srt": subtitles.to_srt(cues, timeline),
            "vtt": subtitles.to_vtt(cues, timeline),
            "chapters_vtt": subtitles.chapters_vtt(timeline),
            "chapters_json": subtitles.chapters_json(timeline, tags.title),
        }
        for kind, text in texts.items():
            outputs[kind] = layout.sidecar(kind)
            write_text_atomic(outputs[kind], text)
    if wanted.page:
        outputs["page"] = layout.page
    outputs["manifest"] = layout.manifest
    manifest = build_manifest(
        plan,
        programme,
        cues,
        source=source,
        outputs={kind: path.name for kind, path in outputs.items()},
        voice=voice,
        tags=tags,
        fallback=fallback,
    )
    if wanted.page:
        write_page(layout.page, manifest)
    manifest.write(layout.manifest)
    return outputs, manifest


def write_check_report(layout: OutputLayout, report: CheckReport, header: ReportHeader) -> Path:
    """Proof-listening's report beside the render it heard (``<stem>.check.json``)."""
    data = {**header.to_json(), **report.to_json()}
    write_text_atomic(layout.check_report, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return layout.check_report


def mark_page(layout: OutputLayout, manifest: Manifest, flags: Mapping[str, PageFlag]) -> Path:
    """The render's listening page written again from its manifest, with ``flags`` marked."""
    write_page(layout.page, manifest, flags)
    return layout.page
