"""What the listening page shows, built from the render's manifest: the transcript as blocks of
pieces (each cue's text, with placeholders marked), the chapters, and where the audio and the
overview picture are."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tts_pipeline.outputs import overview
from tts_pipeline.outputs.containers import FORMATS
from tts_pipeline.outputs.manifest import Manifest, ManifestCue
from tts_pipeline.text.segment import PlannedPlaceholder

# <source type> for each audio format (Chromium plays .m4b/.m4a as audio/mp4).
AUDIO_TYPES = {
    "m4b": "audio/mp4",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "opus": 'audio/ogg; codecs="opus"',
    "flac": "audio/flac",
    "wav": "audio/wav",
}


def url_of(file_name: str) -> str:
    """A file name as a relative URL (``#``, ``?``, ``%``, spaces and the rest percent-encoded)."""
    return quote(file_name, safe="")


def chapter_parts(manifest: Manifest) -> list[dict[str, Any]]:
    """With only the chapters' files written (``--split chapters``): the page plays them one
    after another as one programme; each part is a file and the stretch of the programme it
    holds. (With the whole programme there are no parts: it plays the programme's file.)"""
    parts: list[dict[str, Any]] = []
    for file in manifest.production.chapter_files:
        audio = audio_output(file.files)
        if audio is not None:
            src = {"src": url_of(audio[0]), "type": audio[1], "name": audio[0]}
            parts.append({**src, "start": file.start, "end": file.end})
    return parts


def audio_output(outputs: Mapping[str, str]) -> tuple[str, str] | None:
    """(file name, MIME type) of the first audio format rendered, or None."""
    for kind, name in outputs.items():
        if kind in FORMATS:
            return name, AUDIO_TYPES.get(kind, "audio/" + kind)
    return None


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _difference(written: str, spoken: str) -> tuple[int, int, str]:
    """The part of ``written`` that the narrator says differently: (start, end, spoken as)."""
    a = 0
    while a < min(len(written), len(spoken)) and written[a] == spoken[a]:
        a += 1
    b = 0
    while b < min(len(written), len(spoken)) - a and written[-1 - b] == spoken[-1 - b]:
        b += 1
    if a >= len(written) - b:  # nothing differs (e.g. a filled placeholder said as written)
        return 0, len(written), spoken
    return a, len(written) - b, spoken[a : len(spoken) - b]


def _placeholder_marks(
    text: str, placeholders: Sequence[PlannedPlaceholder]
) -> list[dict[str, Any]]:
    """Where this utterance's placeholders are in its written text, in order of mention."""
    marks: list[dict[str, Any]] = []
    cursor = 0
    for p in placeholders:
        written = p.text
        if not written:
            continue
        at = text.find(written, cursor)
        if at < 0:
            at = text.find(written)
        if at < 0:
            continue
        cursor = at + len(written)
        a, b, said = _difference(written, p.spoken)
        marks.append(
            {
                "start": at + a,
                "end": at + b,
                "spoken": said,
                "written": written,
                "filled": p.filled,
            }
        )
    return marks


def _pieces(
    text: str,
    cue_spans: Sequence[tuple[int, int, int]],
    marks: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The text as pieces: each cue's text (with its cue index) and whatever lies between."""
    bounds: list[tuple[int, int, int | None]] = []
    cursor = 0
    for start, end, index in cue_spans:
        if start > cursor:
            bounds.append((cursor, start, None))
        bounds.append((start, end, index))
        cursor = end
    if cursor < len(text):
        bounds.append((cursor, len(text), None))
    pieces = []
    for start, end, cue in bounds:
        inside = [
            {
                "start": max(m["start"], start) - start,
                "end": min(m["end"], end) - start,
                "spoken": m["spoken"],
                "filled": m["filled"],
            }
            for m in marks
            if m["start"] < end and m["end"] > start
        ]
        piece: dict[str, Any] = {"text": text[start:end], "cue": cue}
        if inside:
            piece["marks"] = inside
        pieces.append(piece)
    return pieces


def _mark_run_in_headings(blocks: list[dict[str, Any]], chapters: list[dict[str, Any]]) -> None:
    """A chapter whose first paragraph opens with the chapter's title (第一，…。 body) shows that
    title in bold there (``lead``: characters from the paragraph start), with no extra label."""
    seen: set[int] = set()
    for block in blocks:
        chapter = block["chapter"]
        if block["kind"] == "title" or chapter in seen:
            continue
        seen.add(chapter)
        if block["kind"] == "heading" or not 0 <= chapter < len(chapters):
            continue
        title = chapters[chapter]["title"].strip()
        text = "".join(piece["text"] for piece in block["pieces"])
        if not title or not text.startswith(title):
            continue
        block["lead"] = len(title)
        remaining = len(title)
        for piece in block["pieces"]:
            if remaining <= 0:
                break
            piece["lead"] = min(remaining, len(piece["text"]))
            remaining -= len(piece["text"])


@dataclass(frozen=True)
class PageFlag:
    """An utterance proof-listening flagged (``tts-pipeline check --page``): its sentences are
    marked "listen to this", with what the recogniser heard there."""

    cer: float  # character error rate
    heard: str  # the recogniser's transcript
    differences: tuple[tuple[str, str], ...]  # (expected, heard), the first few


def _flag_data(flag: PageFlag) -> dict[str, Any]:
    return {
        "cer": flag.cer,
        "heard": flag.heard,
        "differences": [list(pair) for pair in flag.differences],
    }


def page_model(manifest: Manifest, flags: Mapping[str, PageFlag] | None = None) -> dict[str, Any]:
    """Everything the page script needs (its JSON data), from the render's manifest.

    The pieces of a split paragraph (the same chapter and paragraph) are one block, as written.
    The overview picture is shown when the manifest lists one; ``flags`` (utterance id → flag)
    marks the sentences of the utterances proof-listening flagged.
    """
    cues_by_utterance: dict[str, list[ManifestCue]] = {}
    for cue in manifest.cues:
        cues_by_utterance.setdefault(cue.utterance, []).append(cue)
    placeholders: dict[str, list[PlannedPlaceholder]] = {}
    for p in manifest.placeholders:
        placeholders.setdefault(p.utterance, []).append(p)

    cues: list[dict[str, float]] = []
    blocks: list[dict[str, Any]] = []
    # Blocks name their chapter by its place in the page's list (the manifest's chapters are
    # the document's, numbered as in it: with --chapters some are left out).
    position = {c.index: n for n, c in enumerate(manifest.chapters)}
    flagged: list[dict[str, Any]] = []
    previous_key: tuple[int, int] | None = None
    for u in manifest.utterances:
        text = u.text
        spans: list[tuple[int, int, int]] = []
        cursor = 0
        for cue in cues_by_utterance.get(u.id, []):
            at = text.find(cue.text, cursor)
            if at < 0:  # not a piece of this text (should not happen): time it, show nothing
                continue
            spans.append((at, at + len(cue.text), len(cues)))
            cues.append({"start": cue.start, "end": cue.end})
            cursor = at + len(cue.text)
        if not spans and text.strip():  # no subtitles: the whole utterance is one sentence
            spans.append((0, len(text), len(cues)))
            cues.append({"start": u.voice_start, "end": max(u.voice_end, u.voice_start)})
        pieces = _pieces(text, spans, _placeholder_marks(text, placeholders.get(u.id, [])))
        flag = flags.get(u.id) if flags else None
        if flag is not None:
            flagged.append({"utterance": u.id, **_flag_data(flag)})
            for piece in pieces:
                if piece["cue"] is not None:
                    piece["flag"] = len(flagged) - 1
        key = (u.chapter, u.paragraph)
        chapter = position.get(u.chapter, u.chapter)
        if key == previous_key and blocks:
            block = blocks[-1]
            last, first = block["pieces"][-1]["text"], text
            if last and first and not (_wide(last[-1]) or _wide(first[0])):
                block["pieces"].append({"text": " ", "cue": None})
            block["pieces"].extend(pieces)
        else:
            blocks.append({"chapter": chapter, "kind": u.kind, "start": u.start, "pieces": pieces})
        previous_key = key

    chapters = [{"title": c.title, "start": c.start, "end": c.end} for c in manifest.chapters]
    _mark_run_in_headings(blocks, chapters)
    audio = audio_output(manifest.outputs)
    model: dict[str, Any] = {
        "title": manifest.title,
        "language": manifest.language,
        "duration": manifest.duration,
        "audio": {"src": url_of(audio[0]), "type": audio[1], "name": audio[0]} if audio else None,
        "parts": [] if audio else chapter_parts(manifest),
        "chapters": chapters,
        "cues": cues,
        "blocks": blocks,
        "removed": [{"text": line.text, "rule": line.rule} for line in manifest.removed],
        "placeholders": len(manifest.placeholders),
        "flags": flagged,
        "overview": None,
    }
    overview_name = manifest.outputs.get("overview")
    if overview_name:
        layout = overview.LAYOUT
        model["overview"] = {
            "src": url_of(overview_name),
            "name": overview_name,
            "width": layout.width,
            "height": layout.height,
            "left": layout.left,
            "right": layout.width - layout.right,
        }
    return model
