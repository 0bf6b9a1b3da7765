"""The batch on this machine's cores: one engine for the whole batch, its worker processes (and
the models they loaded) kept from the first document to the last, and documents overlapping:
while one is levelled, encoded and its files written (a thread of its own), the next one is
synthesized."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from tts_pipeline import scratch
from tts_pipeline.batch.pending import PendingDocument, failure
from tts_pipeline.batch.progress import BatchProgress
from tts_pipeline.engines.base import Engine
from tts_pipeline.engines.registry import default_jobs, kept_open
from tts_pipeline.outputs.batch_report import DocumentOutcome, Outcome
from tts_pipeline.outputs.layout import ensure_writable
from tts_pipeline.prepare import VoiceCheck, prepare
from tts_pipeline.render import Rendering
from tts_pipeline.settings import RenderResult, RenderSettings
from tts_pipeline.synthesis.store import MemoryStore, TakeStore


@dataclass(frozen=True)
class _Finishing:
    pending: PendingDocument
    rendering: Rendering
    result: Future[RenderResult]


def render_locally(
    documents: Sequence[PendingDocument],
    settings: RenderSettings,
    engine: Engine,
    voices: VoiceCheck,
    store: TakeStore,
    progress: BatchProgress,
) -> Iterator[DocumentOutcome]:
    """Render ``documents`` one after the other, each finishing while the next is synthesized;
    the outcome of each as it is settled. A document that fails is reported and the others go
    on; Ctrl-C stops all (the document finishing leaves no partial file)."""
    jobs = settings.jobs or default_jobs(settings.voice.engine)
    with (
        kept_open(engine, jobs),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="finishing") as finisher,
    ):
        finishing: _Finishing | None = None
        try:
            for pending in documents:
                started = time.perf_counter()
                rows = progress.document(pending.name, pending.characters)
                try:
                    # Takes of a run without the cache are kept for one document at a time.
                    takes = store if store.durable else MemoryStore()
                    document = prepare(pending.source, settings, engine, pending.layout)
                    ensure_writable(pending.layout.folder)
                    scratch.sweep_parts(pending.layout.folder)
                    rendering = Rendering(document, settings, engine, voices, takes, rows, started)
                    rendering.synthesize()
                except Exception as exc:  # noqa: BLE001 - reported; the batch goes on
                    yield failure(pending.source, exc)
                    continue
                # At most one document finishes while the next is synthesized: the one before
                # had this document's whole synthesis to finish.
                if finishing is not None:
                    yield _finished(finishing)
                finishing = _Finishing(pending, rendering, finisher.submit(rendering.finish))
            if finishing is not None:
                done, finishing = finishing, None
                yield _finished(done)
        except BaseException:
            if finishing is not None:
                finishing.rendering.abandon()
            raise


def _finished(finishing: _Finishing) -> DocumentOutcome:
    """Wait for a document to finish: its outcome."""
    source = finishing.pending.source
    try:
        result = finishing.result.result()
    except Exception as exc:  # noqa: BLE001 - reported; the batch goes on
        return failure(source, exc)
    return DocumentOutcome(
        source,
        Outcome.DONE,
        outputs=dict(result.outputs),
        characters=result.characters,
        duration=result.duration,
        seconds=result.wall_seconds,
        synthesized=result.synthesized,
        warnings=result.warnings + _fallback_warning(result),
    )


def _fallback_warning(result: RenderResult) -> tuple[str, ...]:
    if not result.fallback_ids:
        return ()
    return (
        f"{len(result.fallback_ids)} utterance(s) spoken by the fallback voice "
        f"{result.fallback_voice} ({result.fallback_reason}); run the batch again later to "
        "replace them",
    )
