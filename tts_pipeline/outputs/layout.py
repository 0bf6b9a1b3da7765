"""Every file a render writes, named in one place: ``<stem>.<extension>`` for each audio format and
``<stem><suffix>`` for each file beside the audio, in one output folder. The stem is the input's
name; standard input has none, so its renders are named after the speech's title. In a batch:
where each document's files go, and the batch's own report."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline import scratch
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
}
# A title as a file name: no path separators, characters Windows refuses, or control characters;
# at most this many characters.
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
                return cls(output.parent, name[: -len(suffix)])
        return cls(output.parent, output.stem)


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
