"""The listening page (``<stem>.html``): the rendered audio beside its transcript.

One self-contained file (CSS and JS inline, nothing fetched but the audio file and the overview
picture beside it, by relative URL), so it works from file:// and from any static web server.

Safety: every piece of document text travels as JSON in a ``<script type="application/json">``
block with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX`` escapes, and the script
builds the DOM with ``textContent`` only. The only other document text in the markup, the
``<title>``, is HTML-escaped. A Content-Security-Policy allows exactly the inline script and style
(by their SHA-256 hashes) and media and images beside the page; nothing else loads or runs.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import unicodedata
import webbrowser
from collections.abc import Hashable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tts_pipeline import overview
from tts_pipeline.containers import FORMATS
from tts_pipeline.errors import PipelineError
from tts_pipeline.export import write_text_atomic
from tts_pipeline.segment import Plan

PAGE_SUFFIX = ".html"
ASSETS = "page_assets"

# <source type> for each audio format (Chromium plays .m4b/.m4a as audio/mp4).
AUDIO_TYPES = {
    "m4b": "audio/mp4",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "opus": 'audio/ogg; codecs="opus"',
    "flac": "audio/flac",
    "wav": "audio/wav",
}
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


# ---------------------------------------------------------------------------------------------
# Escaping


def script_json(data: Any) -> str:
    """JSON that is inert inside ``<script type="application/json">``: no ``</script>``, no
    ``<!--``, no character an HTML or JS parser could treat specially. JSON's structure never
    uses these characters, so they can only occur inside strings, where ``\\uXXXX`` means the
    same character to JSON.parse."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_ESCAPE_RE.sub(lambda m: _JSON_ESCAPES[m.group()], text)


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            # file: for browsers whose 'self' does not cover sibling files of a file:// page;
            # blob: for a server that cannot serve ranges (page.js); data: for the page's icon.
            "media-src 'self' file: blob:",
            "img-src 'self' file: data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def url_of(file_name: str) -> str:
    """A file name as a relative URL (``#``, ``?``, ``%``, spaces and the rest percent-encoded)."""
    return quote(file_name, safe="")


# ---------------------------------------------------------------------------------------------
# What the page shows


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
    text: str, placeholders: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Where this utterance's placeholders are in its written text, in order of mention."""
    marks: list[dict[str, Any]] = []
    cursor = 0
    for p in placeholders:
        written = str(p.get("text", ""))
        if not written:
            continue
        at = text.find(written, cursor)
        if at < 0:
            at = text.find(written)
        if at < 0:
            continue
        cursor = at + len(written)
        a, b, said = _difference(written, str(p.get("spoken", "")))
        marks.append(
            {
                "start": at + a,
                "end": at + b,
                "spoken": said,
                "written": written,
                "filled": bool(p.get("filled", False)),
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
    for start, end, index in bounds:
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
        piece: dict[str, Any] = {"text": text[start:end], "cue": index}
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


def page_model(
    manifest: Mapping[str, Any],
    paragraph_of: Mapping[str, Hashable] | None = None,
    overview_name: str | None = None,
    flags: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the page script needs, from the render's manifest.

    ``paragraph_of`` maps utterance ids to a paragraph key (utterances with the same key next to
    each other are one paragraph of the written text); without it each utterance is one.
    ``overview_name`` is the overview PNG's file name (None: no picture). ``flags`` maps the
    utterances proof-listening flagged to what it heard (``check``): their sentences are marked.
    """
    utterances: Sequence[Mapping[str, Any]] = manifest.get("utterances", [])
    cues_by_utterance: dict[str, list[Mapping[str, Any]]] = {}
    for cue in manifest.get("cues", []):
        cues_by_utterance.setdefault(str(cue["utterance"]), []).append(cue)
    placeholders: dict[str, list[Mapping[str, Any]]] = {}
    for p in manifest.get("placeholders", []):
        placeholders.setdefault(str(p.get("utterance")), []).append(p)

    cues: list[dict[str, float]] = []
    blocks: list[dict[str, Any]] = []
    flagged: list[dict[str, Any]] = []
    previous_key: Hashable | None = None
    for u in utterances:
        uid = str(u["id"])
        text = str(u["text"])
        spans: list[tuple[int, int, int]] = []
        cursor = 0
        for cue in cues_by_utterance.get(uid, []):
            at = text.find(str(cue["text"]), cursor)
            if at < 0:  # not a piece of this text (should not happen): time it, show nothing
                continue
            spans.append((at, at + len(cue["text"]), len(cues)))
            cues.append({"start": float(cue["start"]), "end": float(cue["end"])})
            cursor = at + len(cue["text"])
        if not spans and text.strip():  # no subtitles: the whole utterance is one sentence
            start = float(u.get("voice_start", u["start"]))
            end = float(u.get("voice_end", u["end"]))
            spans.append((0, len(text), len(cues)))
            cues.append({"start": start, "end": max(end, start)})
        pieces = _pieces(text, spans, _placeholder_marks(text, placeholders.get(uid, [])))
        if flags and uid in flags:
            flagged.append({"utterance": uid, **flags[uid]})
            for piece in pieces:
                if piece["cue"] is not None:
                    piece["flag"] = len(flagged) - 1
        key = paragraph_of.get(uid) if paragraph_of is not None else None
        same = key is not None and key == previous_key
        chapter = int(u.get("chapter", 0))
        if same and blocks and blocks[-1]["chapter"] == chapter:
            block = blocks[-1]
            last, first = block["pieces"][-1]["text"], text
            if last and first and not (_wide(last[-1]) or _wide(first[0])):
                block["pieces"].append({"text": " ", "cue": None})
            block["pieces"].extend(pieces)
        else:
            blocks.append(
                {
                    "chapter": chapter,
                    "kind": str(u.get("kind", "body")),
                    "start": float(u.get("start", 0.0)),
                    "pieces": pieces,
                }
            )
        previous_key = key

    chapters = [
        {"title": str(c["title"]), "start": float(c["start"]), "end": float(c["end"])}
        for c in manifest.get("chapters", [])
    ]
    _mark_run_in_headings(blocks, chapters)
    outputs: Mapping[str, str] = manifest.get("outputs", {})
    audio = audio_output(outputs)
    duration = float(manifest.get("duration", 0.0))
    model: dict[str, Any] = {
        "title": str(manifest.get("title", "")),
        "language": str(manifest.get("language", "")),
        "duration": duration,
        "audio": {"src": url_of(audio[0]), "type": audio[1], "name": audio[0]} if audio else None,
        "chapters": chapters,
        "cues": cues,
        "blocks": blocks,
        "removed": [str(line) for line in manifest.get("removed", [])],
        "placeholders": len(manifest.get("placeholders", [])),
        "flags": flagged,
        "overview": None,
    }
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


# ---------------------------------------------------------------------------------------------
# The file


def _asset(name: str) -> str:
    return resources.files("tts_pipeline").joinpath(ASSETS, name).read_text(encoding="utf-8")


def render_page(model: Mapping[str, Any]) -> str:
    """The page's HTML for ``model`` (see page_model)."""
    template, style, script = _asset("page.html"), _asset("page.css"), _asset("page.js")
    # The inline code is ours, not the document's; it must not end its own element early.
    assert "</script" not in script.lower() and "</style" not in style.lower()
    language = str(model.get("language", ""))
    values = {
        "lang": language if _LANG_RE.match(language) else "und",
        "csp": html.escape(content_security_policy(script, style), quote=True),
        "title": html.escape(str(model.get("title", "")) or "Listening page", quote=True),
        "style": style,
        "data": script_json(model),
        "script": script,
    }
    # One pass, so text substituted for one slot is never searched for another slot.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def write_page(
    path: Path,
    manifest: Mapping[str, Any],
    paragraph_of: Mapping[str, Hashable] | None = None,
    overview_name: str | None = None,
    flags: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    write_text_atomic(path, render_page(page_model(manifest, paragraph_of, overview_name, flags)))


def file_url(path: Path) -> str:
    return path.resolve().as_uri()


def write_render_page(
    path: Path, manifest: Mapping[str, Any], plan: Plan, overview_path: Path | None
) -> None:
    """The page of a render: paragraphs as in the plan, the overview picture if drawn."""
    paragraphs = {u.id: (u.chapter, u.paragraph) for u in plan.utterances}
    write_page(path, manifest, paragraphs, overview_path.name if overview_path else None)


# ---------------------------------------------------------------------------------------------
# Opening it

# Sidecar suffixes longer than one extension (an output's stem is what precedes them).
_LONG_SUFFIXES = (".manifest.json", ".chapters.vtt", ".chapters.json")


def find_page(target: Path) -> Path:
    """The listening page for ``target``: the page itself, or the page of the render that wrote
    ``target`` (its audio file, its manifest or another of its files)."""
    if not target.exists():
        raise PipelineError(f"nothing to open: {target} does not exist")
    if target.is_dir():
        pages = sorted(target.glob(f"*{PAGE_SUFFIX}"))
        if len(pages) == 1:
            return pages[0]
        found = f"{len(pages)} listening pages" if pages else "no listening page"
        raise PipelineError(
            f"nothing to open: {found} in the directory {target}; give the page (.html), "
            "the audio file or the manifest"
        )
    if target.suffix.lower() in (".html", ".htm"):
        return target
    name = target.name
    stem = next(
        (name[: -len(s)] for s in _LONG_SUFFIXES if name.endswith(s) and len(name) > len(s)),
        target.stem,
    )
    candidates: list[Path] = []
    manifest = target.parent / f"{stem}.manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            raise PipelineError(f"cannot read the manifest {manifest}") from None
        listed = data.get("outputs", {}).get("page") if isinstance(data, dict) else None
        if isinstance(listed, str) and listed:
            candidates.append(target.parent / Path(listed).name)
    candidates.append(target.parent / f"{stem}{PAGE_SUFFIX}")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise PipelineError(
        f"no listening page for {target}: {candidates[-1].name} is not there "
        "(rendered with --no-page? render again without it)"
    )


def open_page(target: Path) -> str:
    """Open the listening page for ``target`` in the user's web browser; returns its URL."""
    url = file_url(find_page(target))
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        raise PipelineError(f"no web browser could be started; open {url} yourself")
    return url
