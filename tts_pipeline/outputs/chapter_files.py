"""``--split chapters``: one audio file per chapter, in every format, made while the programme
streams. The programme's PCM is cut at the chapter marks (the timeline knows them to the sample)
and each chapter's PCM goes to one ffmpeg process of its own, started when the chapter's first
sample comes and finished when the next chapter's comes: every file is encoded once, from the
same samples as the whole programme, and no more than one chapter's encoder runs at a time
beside the whole programme's.

Each file carries its chapter's tags (title: the chapter's title, album: the document's title,
track: its number of the document's chapters) and the cover art, and no chapters of its own.
Its files are kept only when the whole render succeeds (``atomic_path`` on the caller's stack).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from tts_pipeline import scratch
from tts_pipeline.atomic import atomic_path
from tts_pipeline.ffmpeg import PCM_CHUNKS_AHEAD, run_ffmpeg
from tts_pipeline.outputs.containers import (
    FFMPEG_COVER,
    FORMATS,
    bitrate_arguments,
    ffmpeg_head,
    finish_file,
    output_arguments,
)
from tts_pipeline.outputs.cover import Cover
from tts_pipeline.outputs.tags import Tags, ffmetadata


@dataclass(frozen=True)
class ChapterFile:
    """The audio files of one chapter: its document index, its number (as ``plan`` shows it) of
    the document's ``total`` chapters, its title, and its file of each format."""

    chapter: int
    number: int
    total: int
    title: str
    audio: dict[str, Path]


def chapter_tags(tags: Tags, chapter: ChapterFile) -> Tags:
    """The whole programme's tags for one chapter's file: its own title and track number."""
    return replace(
        tags,
        title=chapter.title,
        album=tags.album or tags.title,
        extra={**tags.extra, "track": f"{chapter.number}/{chapter.total}"},
    )


class _Aborted(Exception):
    """The programme stopped: the chapter's encoder is stopped too."""


_ABORT = b"\x00abort"  # a chunk no programme writes (an odd length), compared by identity


class _Encoder:
    """One ffmpeg process fed chunk by chunk from the producer's thread (``push``)."""

    def __init__(self, cmd: list[str], writes_to: list[Path]) -> None:
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=PCM_CHUNKS_AHEAD)
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(cmd, writes_to), name="chapter-encoder", daemon=True
        )
        self._thread.start()

    def _source(self) -> Iterator[bytes]:
        while (chunk := self._chunks.get()) is not None:
            if chunk is _ABORT:
                raise _Aborted
            yield chunk

    def _run(self, cmd: list[str], writes_to: list[Path]) -> None:
        try:
            run_ffmpeg(cmd, self._source(), writes_to)
        except BaseException as exc:  # noqa: BLE001 - raised in the producer's thread
            self._error = exc

    def _put(self, item: bytes | None) -> None:
        # ffmpeg that failed takes no more chunks: stop waiting once its thread has ended.
        while self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._chunks.put(item, timeout=0.1)
                return

    def push(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._put(chunk)

    def close(self) -> None:
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        self._put(_ABORT)
        self._thread.join()


class ChapterEncoders:
    """Writes each chapter's PCM (``write(chapter, pcm)``, in programme order) into its files;
    ``finish()`` completes the last one. The files are temporary files on ``stack`` until it
    closes without an error."""

    def __init__(
        self,
        files: Mapping[int, ChapterFile],
        tags: Tags,
        cover: Cover | None,
        rate: int,
        stack: contextlib.ExitStack,
    ) -> None:
        self.files = dict(files)
        self.tags = tags
        self.cover = cover
        self.rate = rate
        self._stack = stack
        self._folder = stack.enter_context(scratch.temp_folder())
        self._current: tuple[ChapterFile, dict[str, Path], _Encoder] | None = None

    def write(self, chapter: int, pcm: bytes) -> None:
        if self._current is None or self._current[0].chapter != chapter:
            self._close()
            self._current = self._start(self.files[chapter])
        self._current[2].push(pcm)

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        if self._current is not None:
            self._current[2].abort()
            self._current = None

    def _start(self, chapter: ChapterFile) -> tuple[ChapterFile, dict[str, Path], _Encoder]:
        temps = {f: self._stack.enter_context(atomic_path(p)) for f, p in chapter.audio.items()}
        meta = self._folder / "none.ffmeta"  # no chapters inside a chapter's file
        scratch.write_scratch(meta, ffmetadata(None).encode("utf-8"))
        cover = self.cover
        image: Path | None = None
        if cover is not None and any(FORMATS[f].family in FFMPEG_COVER for f in temps):
            image = self._folder / ("cover.png" if cover.mime == "image/png" else "cover.jpg")
            scratch.write_scratch(image, cover.data)
        cmd = [*ffmpeg_head(), "-f", "s16le", "-ar", str(self.rate), "-ac", "1"]
        cmd += ["-i", "pipe:0", "-i", str(meta), *(["-i", str(image)] if image else [])]
        tags = chapter_tags(self.tags, chapter)
        for fmt, tmp in temps.items():
            spec = FORMATS[fmt]
            codec = ["-c:a", spec.codec, *spec.codec_options, *bitrate_arguments(spec)]
            cmd += output_arguments(spec, tmp, codec, image is not None, tags, None)
        writes_to = [self._folder.parent, *dict.fromkeys(p.parent for p in chapter.audio.values())]
        return chapter, temps, _Encoder(cmd, writes_to)

    def _close(self) -> None:
        if self._current is None:
            return
        chapter, temps, encoder = self._current
        self._current = None
        encoder.close()
        for fmt, tmp in temps.items():
            finish_file(fmt, tmp, None, chapter_tags(self.tags, chapter), self.cover)
