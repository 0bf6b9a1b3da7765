"""Finding a render's listening page from any of its files, and opening it in a browser."""

from __future__ import annotations

import webbrowser
from pathlib import Path

from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.layout import SIDECAR_SUFFIXES, OutputLayout
from tts_pipeline.outputs.manifest_reader import read_manifest_json


def file_url(path: Path) -> str:
    return path.resolve().as_uri()


def find_page(target: Path) -> Path:
    """The listening page for ``target``: the page itself, or the page of the render that wrote
    ``target`` (its audio file, its manifest or another of its files)."""
    if not target.exists():
        raise PipelineError(f"nothing to open: {target} does not exist")
    if target.is_dir():
        pages = sorted(target.glob(f"*{SIDECAR_SUFFIXES['page']}"))
        if len(pages) == 1:
            return pages[0]
        found = f"{len(pages)} listening pages" if pages else "no listening page"
        raise PipelineError(
            f"nothing to open: {found} in the directory {target}; give the page (.html), "
            "the audio file or the manifest"
        )
    if target.suffix.lower() in (".html", ".htm"):
        return target
    render = OutputLayout.of(target)
    candidates: list[Path] = []
    manifest = render.manifest
    if manifest.is_file():
        outputs = read_manifest_json(manifest).get("outputs")
        listed = outputs.get("page") if isinstance(outputs, dict) else None
        if isinstance(listed, str) and listed:
            candidates.append(target.parent / Path(listed).name)
    candidates.append(render.page)
    chapter = OutputLayout.of_chapter_file(target)  # a chapter's own file (--split chapters)
    if chapter is not None:
        candidates.append(chapter.page)
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
