"""Every file a render writes, named in one place: ``<stem>.<extension>`` for each audio format and
``<stem><suffix>`` for each file beside the audio, in one output folder (with the report that
``tts-pipeline check`` writes there later); with ``--split chapters`` also
``<stem>-NN-<title>.<extension>`` (and its subtitles) for chapter NN, and playlists of them. The
stem is the input's name; standard input has none, so its renders are named after the speech's
title. In a batch: where each document's files go, and the batch's own report."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline import scratch
from tts_pipeline.choices import parse_choices
from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.containers import FORMATS
from tts_pipeline.user_files import STDIN_NAME, is_stdin

BATCH_REPORT = "batch.json"  # a batch's report, in the output folder

# The files beside the audio: output kind → suffix after the stem.
SIDECAR_SUFFIXES = {
    "overview": ".png",
    "cue": ".cue",
    "srt": ".srt",
    "vtt": ".vtt",
    "chapters_vtt": ".chapters.vtt",
    "chapters_json": ".chapters.json",
    "page": ".html",
    "manifest": ".manifest.json",
    "playlist": ".m3u8",
    "check": ".check.json",  # proof-listening's report (tts-pipeline check), not the render's
}
# What a render writes (``--split``): the whole programme, one file per chapter, or both.
SPLITS = ("whole", "chapters")
# A chapter's title in a file name: characters no file system takes (Windows' reserved ones,
# separators, control characters) become "_"; at most this long (a file name is at most 255
# bytes on most file systems, and the stem and number come first).
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\u2028\u2029]')
TITLE_MAX_CHARS = 48
_CHAPTER_FILE = re.compile(r"^(.+)-\d{2,}(?:-[^/]*)?\.[^./]+$")
NAME_MAX_BYTES = 240
# A title as the stem of a render of standard input: no path separators, characters Windows
# refuses, or control characters; at most this many characters.
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
MAX_TITLE_STEM_CHARS = 60


@dataclass(frozen=True)
class OutputLayout:
    """The files of one render: ``folder/stem…``."""

    folder: Path
    stem: str

    def audio(self, formats: Iterable[str]) -> dict[str, Path]:
        """The audio file of each format (format → path), in the order given."""
        return {f: self.folder / f"{self.stem}.{FORMATS[f].extension}" for f in formats}

    def sidecar(self, kind: str) -> Path:
        """The file of one kind beside the audio (a key of SIDECAR_SUFFIXES)."""
        return self.folder / f"{self.stem}{SIDECAR_SUFFIXES[kind]}"

    def chapter_stem(self, number: int, total: int, title: str) -> str:
        """``<stem>-NN-<safe title>`` of chapter ``number`` (as ``plan`` numbers it) of
        ``total``; NN has two digits, more when the document has more chapters."""
        head = f"{self.stem}-{number:0{max(2, len(str(total)))}d}"
        room = NAME_MAX_BYTES - len(head.encode("utf-8")) - len("-.chapters.json")
        safe = safe_title(title, room)
        return f"{head}-{safe}" if safe else head

    def chapter_audio(
        self, formats: Iterable[str], number: int, total: int, title: str
    ) -> dict[str, Path]:
        """The audio files of one chapter (format → path)."""
        stem = self.chapter_stem(number, total, title)
        return {f: self.folder / f"{stem}.{FORMATS[f].extension}" for f in formats}

    def chapter_sidecar(self, kind: str, number: int, total: int, title: str) -> Path:
        """A file of one kind (srt, vtt) beside a chapter's audio."""
        return self.folder / f"{self.chapter_stem(number, total, title)}{SIDECAR_SUFFIXES[kind]}"

    def playlist(self, fmt: str, first: bool) -> Path:
        """The playlist of the chapter files of format ``fmt``: ``<stem>.m3u8`` for the first
        format, ``<stem>.<extension>.m3u8`` for each further one."""
        if first:
            return self.sidecar("playlist")
        return self.folder / f"{self.stem}.{FORMATS[fmt].extension}.m3u8"

    def expected(self, formats: Iterable[str], subtitles: bool, page: bool) -> dict[str, Path]:
        """Every file a render with these settings writes (kind → path)."""
        formats = tuple(formats)
        kinds = ["cue"] if "wav" in formats else []
        if subtitles:
            kinds += ["srt", "vtt", "chapters_vtt", "chapters_json"]
        if page:
            kinds += ["overview", "page"]
        return {**self.audio(formats), **{k: self.sidecar(k) for k in [*kinds, "manifest"]}}

    @property
    def page(self) -> Path:
        return self.sidecar("page")

    @property
    def manifest(self) -> Path:
        return self.sidecar("manifest")

    @property
    def check_report(self) -> Path:
        return self.sidecar("check")

    @classmethod
    def for_source(cls, folder: Path, source: Path, title: str) -> OutputLayout:
        """The files of a render of ``source`` (a file, or ``-`` for standard input) into
        ``folder``: named after the file; for standard input after ``title``, else "stdin"."""
        if not is_stdin(source):
            return cls(folder, source.stem)
        safe = " ".join(_UNSAFE_IN_NAMES.sub(" ", title).split()).strip(" .")
        return cls(folder, safe[:MAX_TITLE_STEM_CHARS].strip(" .") or STDIN_NAME)

    @classmethod
    def of(cls, output: Path) -> OutputLayout:
        """The render that wrote ``output`` (any of its files)."""
        name = output.name
        for suffix in sorted(SIDECAR_SUFFIXES.values(), key=len, reverse=True):
            if name.endswith(suffix) and len(name) > len(suffix):
                stem = name[: -len(suffix)]
                if suffix == SIDECAR_SUFFIXES["playlist"]:  # <stem>.<extension>.m3u8
                    head, _, extension = stem.rpartition(".")
                    known = {spec.extension for spec in FORMATS.values()}
                    stem = head if head and extension in known else stem
                return cls(output.parent, stem)
        return cls(output.parent, output.stem)

    @classmethod
    def of_chapter_file(cls, output: Path) -> OutputLayout | None:
        """The render that wrote ``output`` if it is one of its chapter files
        (``<stem>-NN-<title>.<extension>``, or their subtitles)."""
        found = _CHAPTER_FILE.match(output.name)
        return cls(output.parent, found.group(1)) if found else None


def safe_title(title: str, max_bytes: int = NAME_MAX_BYTES) -> str:
    """A chapter title as part of a file name on any system: composed (NFC), characters no file
    system takes replaced with "_", runs of spaces made one, at most TITLE_MAX_CHARS characters
    and ``max_bytes`` bytes of UTF-8, no dot or space at the end (Windows drops them). CJK and
    every other letter are kept."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFC", title))
    text = " ".join(text.split())[:TITLE_MAX_CHARS]
    while len(text.encode("utf-8")) > max(0, max_bytes):
        text = text[:-1]
    return text.strip(" .")


def parse_splits(values: Iterable[str] | None) -> tuple[str, ...]:
    """``--split`` values (repeatable or comma-separated): whole, chapters; default whole."""
    chosen = parse_choices(
        values or (),
        SPLITS,
        lambda name: f"--split must be whole or chapters (got {name!r}); give both for both",
    )
    return chosen or ("whole",)


def batch_report(folder: Path) -> Path:
    """Where a batch writes its report: ``batch.json`` in the output folder."""
    return folder / BATCH_REPORT


def batch_layouts(folder: Path, documents: Sequence[Path]) -> list[OutputLayout]:
    """Where each document of a batch writes (in the order given), so that no two collide.

    A document's files are named by its stem, in ``folder``. Documents whose stems collide (case
    ignored: some file systems ignore it) keep instead their path from the folder all the
    documents share, without its extension (``2023/speech``, ``2024/speech``); where even that
    collides (``speech.txt`` beside ``speech.md``), with it (``speech.txt``, ``speech.md``)."""
    paths = [Path(os.path.abspath(d)) for d in documents]
    common = Path(os.path.commonpath([p.parent for p in paths])) if paths else Path()
    names = [p.stem for p in paths]
    # Where stems collide: the path from the common folder, without its extension, then with it.
    for keep_suffix in (False, True):
        clashing = _clashes(names)
        for i in clashing:
            relative = paths[i].relative_to(common)
            names[i] = (relative if keep_suffix else relative.with_suffix("")).as_posix()
    for n, i in enumerate(sorted(_clashes(names)), start=1):  # paths that differ in case only
        names[i] = f"{names[i]}-{n}"
    layouts = []
    for name in names:
        parent, _, stem = name.rpartition("/")
        layouts.append(OutputLayout(folder / parent if parent else folder, stem))
    return layouts


def _clashes(names: Sequence[str]) -> set[int]:
    """Positions of the names another name equals (case ignored)."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name.casefold(), []).append(i)
    return {i for group in seen.values() if len(group) > 1 for i in group}


def preview_file(folder: Path, voice_name: str) -> Path:
    """Where ``tts-pipeline preview`` writes a voice's sample: ``preview-<voice>.wav``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", voice_name).strip("-.") or "voice"
    return folder / f"preview-{safe}.wav"


def ensure_writable(folder: Path) -> None:
    """Fail before synthesis, not after it, when the output folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = scratch.part_prefix("tts-pipeline-probe")
        with tempfile.NamedTemporaryFile(dir=folder, prefix=probe, suffix=scratch.PART_SUFFIX):
            pass
    except OSError as exc:
        raise PipelineError(
            f"cannot write to the output directory {folder}: {exc.strerror or exc}"
        ) from None
