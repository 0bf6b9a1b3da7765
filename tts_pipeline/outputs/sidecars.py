"""The files beside a render's audio, all written here, each atomically: the overview picture,
the cue sheet (beside a WAV file), the subtitles and chapter files, with ``--split chapters``
each chapter file's subtitles and the playlists, the listening page and, last, the manifest that
lists them all; later, proof-listening's report and the listening page with what it flagged
(``tts-pipeline check``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline.atomic import atomic_path, write_text_atomic
from tts_pipeline.outputs import subtitles
from tts_pipeline.outputs.check.report import CheckReport, ReportHeader
from tts_pipeline.outputs.cue_sheet import cue_sheet
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.outputs.manifest import Manifest, Provenance, build_manifest
from tts_pipeline.outputs.page.html import write_page
from tts_pipeline.outputs.page.model import PageFlag
from tts_pipeline.outputs.playlist import PlaylistEntry, m3u8
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
    lexicon_files: Sequence[str] = (),
    provenance: Provenance | None = None,
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
    if wanted.subtitles and programme.audio:  # (the whole programme's, when it was written)
        texts = {
            "srt": subtitles.to_srt(cues, timeline),
            "vtt": subtitles.to_vtt(cues, timeline),
            "chapters_vtt": subtitles.chapters_vtt(timeline),
            "chapters_json": subtitles.chapters_json(timeline, tags.title),
        }
        for kind, text in texts.items():
            outputs[kind] = layout.sidecar(kind)
            write_text_atomic(outputs[kind], text)
    files = _chapter_files(layout, programme, cues if wanted.subtitles else None, outputs)
    _playlists(layout, programme, tags, outputs)
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
        lexicon_files=lexicon_files,
        chapter_files=files,
        provenance=provenance,
    )
    if wanted.page:
        write_page(layout.page, manifest)
    manifest.write(layout.manifest)
    return outputs, manifest


def _chapter_files(
    layout: OutputLayout,
    programme: Programme,
    cues: list[subtitles.Cue] | None,
    outputs: dict[str, Path],
) -> dict[int, dict[str, str]]:
    """Each chapter file's audio (and, with ``cues``, its subtitles: times from its own start)
    into ``outputs``; returns the file names of each chapter (kind → name) by document index."""
    timeline = programme.timeline
    marks = {mark.chapter: mark for mark in timeline.chapters}
    names: dict[int, dict[str, str]] = {}
    for file in programme.chapter_files:
        mark = marks[file.chapter]
        number = f"{file.number:02d}"
        own = {fmt: path for fmt, path in file.audio.items()}
        if cues is not None:
            inside = [
                subtitles.Cue(c.start - mark.start, c.end - mark.start, c.text, c.utterance_id)
                for c in cues
                if mark.start <= c.start < mark.end
            ]
            texts = {
                "srt": subtitles.to_srt(inside, timeline),
                "vtt": subtitles.to_vtt(inside, timeline),
            }
            for kind, text in texts.items():
                own[kind] = layout.chapter_sidecar(kind, file.number, file.total, file.title)
                write_text_atomic(own[kind], text)
        for kind, path in own.items():
            outputs[f"{kind}:{number}"] = path
        names[file.chapter] = {kind: path.name for kind, path in own.items()}
    return names


def _playlists(
    layout: OutputLayout, programme: Programme, tags: Tags, outputs: dict[str, Path]
) -> None:
    """One playlist of the chapter files per format (the first format's is ``<stem>.m3u8``)."""
    files = programme.chapter_files
    if not files:
        return
    timeline = programme.timeline
    marks = {mark.chapter: mark for mark in timeline.chapters}
    for n, fmt in enumerate(files[0].audio):
        entries = [
            PlaylistEntry(
                f.audio[fmt].name,
                timeline.seconds(marks[f.chapter].end - marks[f.chapter].start),
                f.title,
            )
            for f in files
        ]
        kind = "playlist" if n == 0 else f"playlist:{fmt}"
        outputs[kind] = layout.playlist(fmt, n == 0)
        write_text_atomic(outputs[kind], m3u8(entries, tags.title))


def write_check_report(layout: OutputLayout, report: CheckReport, header: ReportHeader) -> Path:
    """Proof-listening's report beside the render it heard (``<stem>.check.json``)."""
    data = {**header.to_json(), **report.to_json()}
    write_text_atomic(layout.check_report, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return layout.check_report


def mark_page(layout: OutputLayout, manifest: Manifest, flags: Mapping[str, PageFlag]) -> Path:
    """The render's listening page written again from its manifest, with ``flags`` marked."""
    write_page(layout.page, manifest, flags)
    return layout.page
