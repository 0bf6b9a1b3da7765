"""A batch, from the sources to its report: the documents found, the voice checked once, each
document read and planned and compared with its last render (up to date: skipped), the rest
rendered by an executor (``local``: this machine's cores; ``ray``: a Ray cluster), and
``batch.json`` written beside the outputs."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from tts_pipeline.batch.pending import PendingDocument, failure
from tts_pipeline.batch.progress import BatchProgress, NoBatchProgress
from tts_pipeline.batch.sources import find_documents
from tts_pipeline.engines.base import Engine
from tts_pipeline.engines.registry import engine_for
from tts_pipeline.errors import InputError, PipelineError, SettingsError
from tts_pipeline.outputs.batch_report import BatchReport, DocumentOutcome, Outcome, in_order
from tts_pipeline.outputs.layout import batch_layouts, batch_report, ensure_writable
from tts_pipeline.prepare import VoiceCheck, check_voices, prepare
from tts_pipeline.render import sweep_leftovers, take_store
from tts_pipeline.settings import RenderSettings
from tts_pipeline.synthesis.store import TakeStore
from tts_pipeline.text.sources import DOCUMENT_SUFFIXES
from tts_pipeline.user_files import is_stdin

EXECUTORS = ("local", "ray")


def render_batch(
    sources: Sequence[str | Path],
    settings: RenderSettings | None = None,
    *,
    force: bool = False,
    executor: str = "local",
    ray_address: str | None = None,
    progress: BatchProgress | None = None,
    engine: Engine | None = None,
    store: TakeStore | None = None,
) -> BatchReport:
    """Render every document ``sources`` name (files, folders, patterns) with ``settings``, each
    into its own files under ``settings.output_dir``; ``force``: render the documents whose files
    are up to date too. A document that fails is reported and the others go on; the report is
    returned and written to ``batch.json`` in the output folder. A mistake that concerns the
    whole batch (no document found, a bad setting, the voice unreachable) raises PipelineError
    before anything is rendered."""
    t0 = time.perf_counter()
    settings = settings or RenderSettings()
    progress = progress or NoBatchProgress()
    if executor not in EXECUTORS:
        raise SettingsError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if ray_address is not None and executor != "ray":
        raise SettingsError("--ray-address needs --executor ray")
    if any(is_stdin(Path(source)) for source in sources):
        raise SettingsError("standard input (-) is one document: render it on its own")
    if settings.title is not None:
        raise SettingsError("--title names one document: render it on its own")
    if executor == "ray":
        from tts_pipeline.batch.on_ray import check_ray_settings

        check_ray_settings(settings)
    found = find_documents(sources, settings.output_dir)
    if not found.documents and not found.missing:
        named = ", ".join(found.empty) or "nothing"
        kinds = ", ".join(DOCUMENT_SUFFIXES)
        raise InputError(f"no speech files found in {named} (looked for {kinds} files)")
    store = store if store is not None else take_store(settings)
    engine = engine or engine_for(settings.voice)
    voices = check_voices(settings, engine)
    ensure_writable(settings.output_dir)
    sweep_leftovers(settings.output_dir, store)

    outcomes = [
        DocumentOutcome(path, Outcome.FAILED, reason=f"input file not found: {path}")
        for path in found.missing
    ]
    pending: list[PendingDocument] = []
    for source, layout in zip(
        found.documents, batch_layouts(settings.output_dir, found.documents), strict=True
    ):
        try:
            document = prepare(source, settings, engine, layout)
        except PipelineError as exc:
            outcomes.append(failure(source, exc))
            continue
        if not force and document.up_to_date():
            outcomes.append(
                DocumentOutcome(
                    source,
                    Outcome.SKIPPED,
                    reason="its files are up to date",
                    outputs=document.expected,
                    characters=document.characters,
                )
            )
        else:
            pending.append(PendingDocument(source, layout, document.characters))
    for outcome in outcomes:
        progress.ended(outcome)
    progress.begin(len(pending), sum(p.characters for p in pending))
    run = _executed(executor, pending, settings, engine, voices, store, progress, ray_address)
    for outcome in run:
        outcomes.append(outcome)
        progress.ended(outcome)
    report = BatchReport(
        executor,
        in_order(outcomes, [*found.missing, *found.documents]),
        time.perf_counter() - t0,
        warnings=tuple(f"{source}: no speech file there" for source in found.empty),
    )
    report.write(batch_report(settings.output_dir))
    return report


def _executed(
    executor: str,
    pending: Sequence[PendingDocument],
    settings: RenderSettings,
    engine: Engine,
    voices: VoiceCheck,
    store: TakeStore,
    progress: BatchProgress,
    ray_address: str | None,
) -> Iterator[DocumentOutcome]:
    if executor == "ray":
        from tts_pipeline.batch.on_ray import render_on_ray  # Ray is imported only here

        return render_on_ray(pending, settings, engine, store, progress, ray_address)
    from tts_pipeline.batch.local import render_locally

    return render_locally(pending, settings, engine, voices, store, progress)
