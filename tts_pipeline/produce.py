"""Takes → finished files: trim, time, level, encode every format once, write the sidecars.

One pass, one take at a time, while the takes are still being synthesized: a Production runs in
a thread of its own and takes utterance after utterance in plan order as soon as its take exists
(``take_at`` waits for it): trim → place on the timeline (the pause before it is known once its
cut is) → level and limit (StreamingLeveller) → 16-bit PCM → one ffmpeg process writing every
format. The programme is never held whole; when the last take is in, only the chapters (copied
into the MP4/MP3 containers), the subtitles and the overview picture remain to be written.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tts_pipeline import containers, overview, stitch, subtitles
from tts_pipeline import loudness as lufs
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.errors import PipelineError
from tts_pipeline.export import Tags, atomic_path, write_text_atomic
from tts_pipeline.segment import Plan

# Sidecar files: output kind → file name suffix after the stem.
SIDECARS = {
    "srt": ".srt",
    "vtt": ".vtt",
    "chapters_vtt": ".chapters.vtt",
    "chapters_json": ".chapters.json",
}
CUE_SHEET_SUFFIX = ".cue"
OVERVIEW_SUFFIX = ".png"
# When the programme, levelled take by take, misses the loudness target by more than this, it
# is made once more with the difference as an offset (its takes are all there by then).
LOUDNESS_RETRY_LU = 0.5


@dataclass(frozen=True)
class OutputOptions:
    formats: tuple[str, ...] = containers.DEFAULT_FORMATS
    loudness: float | None = lufs.DEFAULT_TARGET_LUFS  # None: leave levels as synthesized
    true_peak: float = lufs.DEFAULT_TRUE_PEAK_DBTP
    cover: containers.Cover | None = None
    subtitles: bool = True
    overview: bool = False  # <stem>.png: waveform and chapters, drawn as the audio streams
    cue_sheet: bool = True  # <stem>.cue beside a WAV file


@dataclass(frozen=True)
class Measured:
    """Everything known about the takes once the programme is made (their audio is gone)."""

    timeline: stitch.Timeline
    loudness: lufs.LoudnessPlan | None
    boundaries: dict[str, tuple[Boundary, ...]]
    sources: tuple[tuple[str, str], ...]  # (engine, voice) of each take


@dataclass(frozen=True)
class Produced:
    measured: Measured
    outputs: dict[str, Path]  # kind → path (audio formats, cue sheet, subtitles, chapters)
    cues: list[subtitles.Cue] = field(default_factory=list)

    @property
    def timeline(self) -> stitch.Timeline:
        return self.measured.timeline

    @property
    def loudness(self) -> lufs.LoudnessPlan | None:
        return self.measured.loudness


class MeasurementMemo(Protocol):
    """Where take loudness measurements are kept between renders (cache.MeasurementStore)."""

    def get(self, digest: str) -> lufs.TakeLoudness | None: ...

    def put(self, digest: str, measured: lufs.TakeLoudness) -> None: ...


class _Stopped(Exception):
    """The takes stopped coming (synthesis failed or was interrupted)."""


class _MissedTarget(Exception):
    """The programme, levelled in one pass, missed the loudness target: make it again."""

    def __init__(self, offset_db: float) -> None:
        super().__init__(f"missed the loudness target by {offset_db:+.2f} dB")
        self.offset_db = offset_db


class Production:
    """Makes the programme from takes as they arrive; ``result()`` finishes it.

    ``take_at(i)`` returns take ``i``, waiting until it exists, or None when no more takes will
    come (the production then stops and writes nothing). Nothing is written where the outputs
    go until every file is complete (containers.encode writes beside them and renames).
    """

    def __init__(
        self,
        plan: Plan,
        take_at: Callable[[int], Take | None],
        out_dir: Path,
        stem: str,
        tags: Tags,
        options: OutputOptions,
        rate: int = stitch.PROGRAMME_RATE,
        memo: MeasurementMemo | None = None,
    ) -> None:
        self.plan = plan
        self.memo = memo
        self.out_dir = out_dir
        self.stem = stem
        self.tags = tags
        self.options = options
        self.rate = rate
        self.done = 0  # takes streamed so far
        self._take_at = take_at
        self._reset(0.0)
        self._targets = containers.output_paths(out_dir, stem, options.formats)
        self._timeline: stitch.Timeline | None = None
        self._error: BaseException | None = None
        self._cancel = threading.Event()
        # Set when the production thread has ended, its temporary files removed. Waited for
        # instead of joining the thread: a Ctrl-C during Thread.join (Python 3.11) marks a
        # running thread as finished, and the process then exits and kills it mid-clean-up.
        self._ended = threading.Event()
        self._drawing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="overview")
        self._thread = threading.Thread(target=self._run, name="production", daemon=True)

    def _reset(self, offset_db: float) -> None:
        options, rate = self.options, self.rate
        self.done = 0
        self._builder = stitch.TimelineBuilder(self.plan, rate, stitch.cue_grid(rate))
        self._leveller = (
            lufs.StreamingLeveller(rate, options.loudness, options.true_peak, offset_db)
            if options.loudness is not None
            else None
        )
        self._envelope = overview.GrowingEnvelope() if options.overview else None
        self._picture: Future[bytes] | None = None
        self._boundaries: dict[str, tuple[Boundary, ...]] = {}
        self._sources: list[tuple[str, str]] = []

    def start(self) -> Production:
        self._thread.start()
        return self

    def abort(self) -> None:
        """Wait for the production to stop (``take_at`` must be returning None by now)."""
        self._wait_to_the_end()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the production to end; whether it has."""
        return self._ended.wait(timeout)

    def cancel(self) -> None:
        """Stop at the next chunk (Ctrl-C while finishing): ffmpeg is stopped and the partial
        files are removed; nothing where the outputs go is touched."""
        self._cancel.set()
        self._wait_to_the_end()

    def _wait_to_the_end(self) -> None:
        """Wait until the production thread has stopped and cleaned up, whatever the user
        presses meanwhile: it takes moments (ffmpeg is killed, its files removed), and a wait
        cut short would leave them behind (the process exits, the thread dies with it)."""
        while True:
            try:
                self._ended.wait()
                return
            except KeyboardInterrupt:
                continue

    def result(self) -> Produced:
        """Wait for the last take to be encoded, then write the sidecar files."""
        self._ended.wait()
        if self._error is not None:
            if isinstance(self._error, _Stopped):
                raise PipelineError("the takes stopped coming before the programme was complete")
            raise self._error
        assert self._timeline is not None
        return self._finish(self._timeline)

    # -- the production thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            try:
                self._encode()
            except _MissedTarget as missed:  # nothing was kept of the first pass
                self._reset(missed.offset_db)
                self._encode()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc
        finally:
            self._drawing.shutdown(wait=False)  # a picture being drawn is still finished
            self._ended.set()

    def _encode(self) -> None:
        containers.encode(
            self._pcm(),
            self._finish_timeline,
            self.tags,
            self._targets,
            self.options.cover,
            sample_rate=self.rate,
            before_keeping=self._unless_cancelled,
        )

    def _unless_cancelled(self) -> None:
        # Ctrl-C while ffmpeg copied the chapters in (it runs apart from the terminal's
        # signals): the finished files are not kept either.
        if self._cancel.is_set():
            raise _Stopped

    def _finish_timeline(self) -> stitch.Timeline:
        """Called by containers.encode once the audio is encoded, before any file is kept: a
        first pass that missed the loudness target stops here and is made again."""
        leveller, target = self._leveller, self.options.loudness
        if leveller is not None and target is not None and leveller.offset_db == 0.0:
            miss = target - leveller.result()
            if math.isfinite(miss) and abs(miss) > LOUDNESS_RETRY_LU:
                raise _MissedTarget(miss)
        self._timeline = self._builder.finish()
        return self._timeline

    def _pcm(self) -> Iterator[bytes]:
        for chunk in self._chunks():
            if self._cancel.is_set():
                raise _Stopped
            if self._envelope is not None:
                self._envelope.feed(chunk)
            yield chunk
        if self._envelope is not None:
            # The picture is drawn while ffmpeg finishes encoding; written only if all succeeds.
            self._picture = self._drawing.submit(self._draw_overview, self._builder.finish())

    def _draw_overview(self, timeline: stitch.Timeline) -> bytes:
        assert self._envelope is not None
        spans = [
            overview.ChapterSpan(m.title, timeline.seconds(m.start), timeline.seconds(m.end))
            for m in timeline.chapters
        ]
        png, _ = overview.overview_png(self._envelope.envelope(), spans, timeline.duration)
        return png

    def _chunks(self) -> Iterator[bytes]:
        # Fetching, trimming and measuring take i+1 (numpy, mostly outside the GIL) runs in a
        # second thread while take i is levelled and written: two takes in memory at most.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="production-prep") as prep:
            count = len(self.plan.utterances)
            ahead = prep.submit(self._prepare, 0) if count else None
            for i, utterance in enumerate(self.plan.utterances):
                assert ahead is not None
                prepared = ahead.result()
                ahead = prep.submit(self._prepare, i + 1) if i + 1 < count else None
                if prepared is None:
                    raise _Stopped
                take, samples, cut, measured = prepared
                if self._leveller is not None:
                    samples, _ = self._leveller.apply(samples, measured)
                self._sources.append((take.engine, take.voice))
                if take.boundaries:
                    self._boundaries[utterance.id] = take.boundaries
                del take, prepared
                before = self._builder.place(cut)
                if before:
                    yield bytes(2 * before)
                yield stitch.to_pcm16(samples)
                self.done += 1
        closing = self._builder.closing_silence()
        if closing:
            yield bytes(2 * closing)

    def _prepare(
        self, index: int
    ) -> tuple[Take, np.ndarray, stitch.Cut, lufs.TakeLoudness | None] | None:
        take = self._take_at(index)
        if take is None:
            return None
        samples, cut = stitch.cut_take(take, self.rate)
        measured = self._measure(samples) if self._leveller is not None else None
        return take, samples, cut, measured

    def _measure(self, samples: np.ndarray) -> lufs.TakeLoudness:
        if self.memo is None:
            return lufs.measure_take(samples, self.rate)
        digest = hashlib.sha256(f"{self.rate}:".encode() + samples.tobytes()).hexdigest()
        measured = self.memo.get(digest)
        if measured is None or not lufs.measurement_fits(measured, samples, self.rate):
            measured = lufs.measure_take(samples, self.rate)
            self.memo.put(digest, measured)
        return measured

    # -- after the audio ----------------------------------------------------------------------

    def _finish(self, timeline: stitch.Timeline) -> Produced:
        out_dir, stem, options = self.out_dir, self.stem, self.options
        level_plan = self._leveller.plan() if self._leveller is not None else None
        measured = Measured(timeline, level_plan, self._boundaries, tuple(self._sources))
        outputs: dict[str, Path] = dict(self._targets)
        if self._picture is not None:
            png_path = out_dir / f"{stem}{OVERVIEW_SUFFIX}"
            with atomic_path(png_path) as tmp:
                tmp.write_bytes(self._picture.result())
            outputs["overview"] = png_path
        if "wav" in self._targets and options.cue_sheet:
            cue_path = out_dir / f"{stem}{CUE_SHEET_SUFFIX}"
            sheet = containers.cue_sheet(timeline, self.tags, self._targets["wav"].name)
            write_text_atomic(cue_path, sheet)
            outputs["cue"] = cue_path
        cues: list[subtitles.Cue] = []
        if options.subtitles:
            cues = subtitles.build_cues(self.plan, timeline, measured.boundaries)
            texts = {
                "srt": subtitles.to_srt(cues, timeline),
                "vtt": subtitles.to_vtt(cues, timeline),
                "chapters_vtt": subtitles.chapters_vtt(timeline),
                "chapters_json": subtitles.chapters_json(timeline, self.tags.title),
            }
            for kind, suffix in SIDECARS.items():
                path = out_dir / f"{stem}{suffix}"
                write_text_atomic(path, texts[kind])
                outputs[kind] = path
        return Produced(measured, outputs, cues)


def produce(
    plan: Plan,
    take_at: Callable[[int], Take],
    out_dir: Path,
    stem: str,
    tags: Tags,
    options: OutputOptions,
) -> Produced:
    """The programme from takes that all exist already."""
    return Production(plan, take_at, out_dir, stem, tags, options).start().result()


def take_details(produced: Produced, plan: Plan) -> dict[str, dict[str, Any]]:
    """Per-utterance facts for the manifest: engine, where the voice is, the gain applied."""
    timeline = produced.timeline
    details: dict[str, dict[str, Any]] = {}
    for i, (u, p) in enumerate(zip(plan.utterances, timeline.placements, strict=True)):
        engine, voice = produced.measured.sources[i]
        entry: dict[str, Any] = {
            "engine": engine,
            "voice": voice,
            "voice_start": timeline.ms(p.voice_start) / 1000,
            "voice_end": timeline.ms(p.voice_end) / 1000,
        }
        if produced.loudness is not None:
            entry["gain_db"] = round(produced.loudness.take_gains_db[i], 2)
        details[u.id] = entry
    return details
