"""Takes → the programme: trimmed, placed, levelled and encoded in every format, in one pass.

One take at a time, while the takes are still being synthesized: a Production runs in a thread
of its own and takes utterance after utterance in plan order as soon as its take exists
(``take_at`` waits for it): trim → place on the timeline (the pause before it is known once its
cut is, and the user's clips go where they belong) → level and limit (StreamingLeveller) → the
music bed mixed under it (``audio.mixdown``) → 16-bit PCM → one ffmpeg process writing every
format (``containers.encode``) and, with ``--split chapters``, the chapter's own ffmpeg process
(``chapter_files``). The programme is never held whole; when the last take is in, only the
chapters (copied into the MP4/MP3 containers) and the overview picture remain. The files beside
the audio (subtitles, chapters, playlists, manifest, page) are written by ``sidecars``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tts_pipeline.audio.clips import Sound
from tts_pipeline.audio.envelope import GrowingEnvelope
from tts_pipeline.audio.loudness.leveller import (
    DEFAULT_TARGET_LUFS,
    DEFAULT_TRUE_PEAK_DBTP,
    LoudnessPlan,
    StreamingLeveller,
)
from tts_pipeline.audio.loudness.measurements import MeasurementStore
from tts_pipeline.audio.loudness.meter import (
    TakeLoudness,
    db_to_gain,
    measure_take,
    measurement_fits,
)
from tts_pipeline.audio.mixdown import Mixdown
from tts_pipeline.audio.timeline import Segment, Timeline, TimelineBuilder, cue_grid
from tts_pipeline.audio.trim import Cut, cut_take
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs import overview
from tts_pipeline.outputs.chapter_files import ChapterEncoders, ChapterFile
from tts_pipeline.outputs.containers import encode
from tts_pipeline.outputs.cover import Cover
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.text.segment import Plan

PROGRAMME_RATE = 24_000
# When the programme, levelled take by take, misses the loudness target by more than this, it
# is made once more with the difference as an offset (its takes are all there by then).
LOUDNESS_RETRY_LU = 0.5


@dataclass(frozen=True)
class ProgrammeOptions:
    loudness: float | None = DEFAULT_TARGET_LUFS  # None: leave levels as synthesized
    true_peak: float = DEFAULT_TRUE_PEAK_DBTP
    cover: Cover | None = None
    overview: bool = False  # draw the overview picture (waveform and chapters) as audio streams


@dataclass(frozen=True)
class Programme:
    """The finished programme: its audio files, and what is known of its takes (their audio is
    gone by now)."""

    audio: dict[str, Path]  # format → file (none when only the chapters' files were wanted)
    timeline: Timeline
    loudness: LoudnessPlan | None
    boundaries: dict[str, tuple[Boundary, ...]]  # utterance id → the engine's boundaries
    sources: tuple[tuple[str, str], ...]  # (engine, voice) of each take
    overview_png: bytes | None = None
    chapter_files: tuple[ChapterFile, ...] = ()  # --split chapters
    sounds: dict[str, Sound] = field(default_factory=dict)  # the user's clips and music
    measured_lufs: float | None = None  # the programme as written, with the user's sounds


class _Stopped(Exception):
    """The takes stopped coming (synthesis failed or was interrupted)."""


class _MissedTarget(Exception):
    """The programme, levelled in one pass, missed the loudness target: make it again."""

    def __init__(self, offset_db: float) -> None:
        super().__init__(f"missed the loudness target by {offset_db:+.2f} dB")
        self.offset_db = offset_db


_Prepared = tuple[Take, np.ndarray, Cut, TakeLoudness | None]


class Production:
    """Makes the programme from takes as they arrive; ``result()`` finishes it.

    ``take_at(i)`` returns take ``i``, waiting until it exists, or None when no more takes will
    come (the production then stops and writes nothing). ``targets`` names the file of each
    format; nothing is written there until every file is complete (``encode`` writes beside
    them and renames). ``sounds``: the user's clips and music bed (``audio.clips``);
    ``chapter_files``: the files of each chapter (by document index) to write too.
    """

    def __init__(
        self,
        plan: Plan,
        take_at: Callable[[int], Take | None],
        targets: Mapping[str, Path],
        tags: Tags,
        options: ProgrammeOptions,
        rate: int = PROGRAMME_RATE,
        memo: MeasurementStore | None = None,
        sounds: Mapping[str, Sound] | None = None,
        chapter_files: Mapping[int, ChapterFile] | None = None,
    ) -> None:
        self.plan = plan
        self.memo = memo
        self.sounds = dict(sounds or {})
        self.chapter_files = dict(chapter_files or {})
        if not targets and not self.chapter_files:
            raise ValueError("no output file")
        self.targets = dict(targets)
        self.tags = tags
        self.options = options
        self.rate = rate
        self.done = 0  # takes streamed so far
        self._take_at = take_at
        self._reset(0.0)
        self._timeline: Timeline | None = None
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
        self._mixdown = Mixdown(self.sounds, rate, options.loudness, options.true_peak, offset_db)
        clips = {kind: len(s.samples) for kind, s in self.sounds.items() if kind != "music"}
        grid = cue_grid(rate)
        self._builder = TimelineBuilder(self.plan, rate, grid, clips, self._mixdown.tail)
        self._chapters: ChapterEncoders | None = None
        self._leveller = (
            StreamingLeveller(rate, options.loudness, options.true_peak, offset_db)
            if options.loudness is not None
            else None
        )
        columns = overview.LAYOUT.columns
        self._envelope = GrowingEnvelope(columns) if options.overview else None
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

    def result(self) -> Programme:
        """Wait for the last take to be encoded (and the overview picture to be drawn)."""
        self._ended.wait()
        if self._error is not None:
            if isinstance(self._error, _Stopped):
                raise PipelineError("the takes stopped coming before the programme was complete")
            raise self._error
        assert self._timeline is not None
        return Programme(
            audio=dict(self.targets),
            timeline=self._timeline,
            loudness=self._leveller.plan() if self._leveller is not None else None,
            boundaries=self._boundaries,
            sources=tuple(self._sources),
            overview_png=self._picture.result() if self._picture is not None else None,
            chapter_files=tuple(self.chapter_files.values()),
            sounds=dict(self.sounds),
            measured_lufs=self._mixdown.meter.loudness() if self._mixdown.meter else None,
        )

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
        with contextlib.ExitStack() as stack:
            if self.chapter_files:
                self._chapters = ChapterEncoders(
                    self.chapter_files,
                    self.tags,
                    self.options.cover,
                    self.rate,
                    stack,
                )
            try:
                if self.targets:
                    encode(
                        self._pcm(),
                        self._finish_timeline,
                        self.tags,
                        self.targets,
                        self.options.cover,
                        sample_rate=self.rate,
                        before_keeping=self._keep,
                    )
                else:  # only the chapters' files
                    for _ in self._pcm():
                        pass
                    self._finish_timeline()
                    self._keep()
            except BaseException:
                if self._chapters is not None:
                    self._chapters.abort()
                raise

    def _keep(self) -> None:
        """Everything is encoded: the chapters' last file is finished, then all are kept."""
        if self._chapters is not None:
            self._chapters.finish()
        self._unless_cancelled()

    def _unless_cancelled(self) -> None:
        # Ctrl-C while ffmpeg copied the chapters in (it runs apart from the terminal's
        # signals): the finished files are not kept either.
        if self._cancel.is_set():
            raise _Stopped

    def _finish_timeline(self) -> Timeline:
        """Called by ``encode`` once the audio is encoded, before any file is kept: a first pass
        that missed the loudness target stops here and is made again."""
        leveller, target = self._leveller, self.options.loudness
        if leveller is not None and target is not None and leveller.offset_db == 0.0:
            meter = self._mixdown.meter  # the programme as written, with the user's sounds
            miss = target - (meter.loudness() if meter is not None else leveller.result())
            if math.isfinite(miss) and abs(miss) > LOUDNESS_RETRY_LU:
                raise _MissedTarget(miss)
        self._timeline = self._builder.finish()
        return self._timeline

    def _pcm(self) -> Iterator[bytes]:
        for segment, samples in self._chunks():
            if self._cancel.is_set():
                raise _Stopped
            chunk = to_pcm16(samples)
            if self._envelope is not None:
                self._envelope.feed(chunk)
            if self._chapters is not None:
                self._chapters.write(segment.chapter, chunk)
            yield chunk
        if self._envelope is not None:
            # The picture is drawn while ffmpeg finishes encoding.
            self._picture = self._drawing.submit(self._draw_overview, self._builder.finish())

    def _draw_overview(self, timeline: Timeline) -> bytes:
        assert self._envelope is not None
        spans = [
            overview.ChapterSpan(m.title, timeline.seconds(m.start), timeline.seconds(m.end))
            for m in timeline.chapters
        ]
        png, _ = overview.overview_png(self._envelope.envelope(), spans, timeline.duration)
        return png

    def _chunks(self) -> Iterator[tuple[Segment, np.ndarray]]:
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
                peak = 0.0  # the levelled take's true peak (linear), when levelled
                if self._leveller is not None:
                    samples, gain = self._leveller.apply(samples, measured)
                    ceiling = db_to_gain(self.options.true_peak)
                    peak = min(measured.peak * db_to_gain(gain), ceiling) if measured else 0.0
                self._sources.append((take.engine, take.voice))
                if take.boundaries:
                    self._boundaries[utterance.id] = take.boundaries
                del take, prepared
                segments = self._builder.place(cut)
                span = self._builder.music_span()
                voice = (cut.lead, cut.length - cut.tail)
                yield from self._mixdown.write(segments, span, samples, voice, peak)
                self.done += 1
        if self.plan.utterances:
            closing = self._builder.closing()
            yield from self._mixdown.write(closing, self._builder.music_span())

    def _prepare(self, index: int) -> _Prepared | None:
        take = self._take_at(index)
        if take is None:
            return None
        samples, cut = cut_take(take, self.rate)
        measured = self._measure(samples) if self._leveller is not None else None
        return take, samples, cut, measured

    def _measure(self, samples: np.ndarray) -> TakeLoudness:
        if self.memo is None:
            return measure_take(samples, self.rate)
        digest = hashlib.sha256(f"{self.rate}:".encode() + samples.tobytes()).hexdigest()
        measured = self.memo.get(digest)
        if measured is None or not measurement_fits(measured, samples, self.rate):
            measured = measure_take(samples, self.rate)
            self.memo.put(digest, measured)
        return measured


def produce(
    plan: Plan,
    take_at: Callable[[int], Take],
    targets: Mapping[str, Path],
    tags: Tags,
    options: ProgrammeOptions,
) -> Programme:
    """The programme from takes that all exist already."""
    return Production(plan, take_at, targets, tags, options).start().result()


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as 16-bit little-endian PCM (clipped, rounded)."""
    clipped: np.ndarray = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()
