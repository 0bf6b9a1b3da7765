"""Every file a render writes, named in one place: ``<stem>.<extension>`` for each audio format and
``<stem><suffix>`` for each file beside the audio, in one output folder (with the report that
``tts-pipeline check`` writes there later). The stem is the input's name; standard input has
none, so its renders are named after the speech's title."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline import scratch
from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.containers import FORMATS
from tts_pipeline.user_files import STDIN_NAME, is_stdin

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
    "check": ".check.json",  # proof-listening's report (tts-pipeline check), not the render's
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
                return cls(output.parent, name[: -len(suffix)])
        return cls(output.parent, output.stem)


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
