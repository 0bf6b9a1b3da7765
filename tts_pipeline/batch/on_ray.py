"""The batch on a Ray cluster (``--executor ray``; the ``ray`` extra).

The driver (this process) reads and plans each document, looks its takes up in the take cache
and hands the missing ones, in document order, to a pool of ``TakeSynthesizer`` actors (one per
CPU of the cluster, or ``--jobs``; each builds its engine once): at most two takes wait at each
actor, so a free actor always gets the next one. Takes come back to the driver, which stores
them in its take cache; once every take of a document is handed out, a ``DocumentProducer``
actor (one per node, kept for the whole batch) levels, encodes and writes its files where ``-o``
points (a folder every node sees, in a real cluster), fetching each take from Ray's object store
as it gets there, while the synthesizers go on with the next document. A call lost with its
actor (the process killed, the node gone) is made again by Ray once the actor is started again
(a synthesizer builds its engine again); the engines are deterministic, so the files are the
same.

Without an address a local Ray is started for the run (as many CPUs as ``--jobs`` or the
machine's cores, listening on the loopback address only) and shut down at the end; its dashboard
and usage statistics are off, its logs stay in its session folder.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tts_pipeline import scratch
from tts_pipeline.batch.pending import PendingDocument, failure
from tts_pipeline.batch.progress import BatchProgress
from tts_pipeline.batch.ray_work import DocumentProducer, Produced, TakeSynthesizer
from tts_pipeline.engines.base import Engine, SynthesisRequest
from tts_pipeline.engines.workers import available_cores
from tts_pipeline.errors import EngineUnavailable, SettingsError
from tts_pipeline.outputs.batch_report import DocumentOutcome, Outcome
from tts_pipeline.outputs.layout import OutputLayout, ensure_writable
from tts_pipeline.prepare import PreparedDocument, prepare
from tts_pipeline.settings import RenderSettings
from tts_pipeline.synthesis.keys import plan_keys
from tts_pipeline.synthesis.progress import Progress
from tts_pipeline.synthesis.run import missing_requests
from tts_pipeline.synthesis.store import MemoryStore, TakeStore, stored_take
from tts_pipeline.text.normalize.fills import fill_warnings
from tts_pipeline.text.unspeakable import unspeakable_warnings

QUEUED_PER_ACTOR = 2  # takes waiting at each actor: it never idles while the driver stores one
ACTOR_RESTARTS = 4  # an actor whose process died is started again this often …
TASK_RETRIES = 4  # … and the takes (or documents) it had are asked for again (from the new one)
PRODUCTIONS_PER_PRODUCER = 4  # documents a producer levels and encodes at once (threads)
# What Ray reads from the environment when it is imported: no usage statistics sent anywhere;
# and no `uv run` hook (Ray would start its workers through `uv run` in a fresh environment).
RAY_ENVIRONMENT = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}
LOOPBACK = "127.0.0.1"
LOCAL_START_ATTEMPTS = 2


def render_on_ray(
    documents: Sequence[PendingDocument],
    settings: RenderSettings,
    engine: Engine,
    store: TakeStore,
    progress: BatchProgress,
    address: str | None,
) -> Iterator[DocumentOutcome]:
    """Render ``documents`` on Ray; the outcome of each as it is settled."""
    ray = import_ray()
    joined = connect(ray, address, settings.jobs)
    try:
        yield from _Driver(ray, documents, settings, engine, store, progress).run()
    finally:
        if joined:
            ray.shutdown()  # a local Ray stops; from a cluster, this driver disconnects


def check_ray_settings(settings: RenderSettings) -> None:
    """What the Ray executor cannot do yet, and Ray itself, checked before a batch starts."""
    if settings.fallback is not None:
        raise SettingsError("--fallback does not work with --executor ray yet; use local")
    import_ray()


def import_ray() -> ModuleType:
    """Ray, imported with the environment it needs, or one line saying how to install it."""
    os.environ.update(RAY_ENVIRONMENT)
    try:
        import ray
    except ImportError:
        raise SettingsError(
            "the ray executor needs Ray: pip install 'tts-pipeline[ray]' "
            "(or, in this repository, uv sync --group ray)"
        ) from None
    return ray


def connect(ray: ModuleType, address: str | None, jobs: int | None) -> bool:
    """Join the cluster at ``address``, or start a local one with ``jobs`` (or all) CPUs;
    whether this call did (False: this process had joined one already, e.g. its caller's)."""
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address is not None:
        options: dict[str, Any] = {"address": address, **quiet}
    else:  # on this machine's loopback only: nothing of it listens on the network
        cpus = jobs or available_cores()
        options = {"num_cpus": cpus, "include_dashboard": False, "_node_ip_address": LOOPBACK}
        options.update(quiet)
    # A local Ray's processes must start within 30 s: a busy machine can miss it once.
    failure: Exception | None = None
    for _ in range(1 if address is not None else LOCAL_START_ATTEMPTS):
        try:
            ray.init(**options)
            return True
        except Exception as exc:  # noqa: BLE001 - Ray says why in a bare Exception at times
            ray.shutdown()
            failure = exc
    where = f"reach the Ray cluster at {address}" if address else "start a local Ray"
    raise EngineUnavailable(f"cannot {where}: {failure}")


@dataclass
class _Document:
    """A document on its way through the cluster."""

    pending: PendingDocument
    prepared: PreparedDocument
    rows: Progress
    started: float
    keys: list[str]
    requests: deque[tuple[str, SynthesisRequest]]  # takes still to hand out
    repeats: dict[str, int]  # utterances per missing key (repeated texts share a take)
    store: TakeStore  # where its takes are kept (without the cache: for this document only)
    takes: dict[str, Any] = field(default_factory=dict)  # key → object reference
    synthesized: int = 0
    failed: DocumentOutcome | None = None


class _Driver:
    def __init__(
        self,
        ray: ModuleType,
        documents: Sequence[PendingDocument],
        settings: RenderSettings,
        engine: Engine,
        store: TakeStore,
        progress: BatchProgress,
    ) -> None:
        self.ray, self.settings, self.engine = ray, settings, engine
        self.store, self.progress = store, progress
        self.todo = deque(documents)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = max(1, settings.jobs or cpus)
        actor = ray.remote(num_cpus=1, max_restarts=ACTOR_RESTARTS, max_task_retries=TASK_RETRIES)
        self.actors = [actor(TakeSynthesizer).remote(settings.voice, 1) for _ in range(count)]
        self.load = [0] * count  # takes waiting at each actor
        producer = ray.remote(
            num_cpus=0,
            max_restarts=ACTOR_RESTARTS,
            max_task_retries=TASK_RETRIES,
            max_concurrency=PRODUCTIONS_PER_PRODUCER,
        )(DocumentProducer)
        nodes = max(1, sum(1 for node in ray.nodes() if node.get("Alive")))
        self.producers = [
            producer.options(scheduling_strategy="SPREAD").remote() for _ in range(nodes)
        ]
        self.productions = [0] * nodes  # documents each producer has in hand
        self.synthesizing: dict[Any, tuple[_Document, str, int]] = {}  # ref → (doc, key, actor)
        self.producing: dict[Any, tuple[_Document, int]] = {}  # ref → (doc, producer)
        self.current: _Document | None = None

    def run(self) -> Iterator[DocumentOutcome]:
        while True:
            yield from self._hand_out()
            waiting = [*self.synthesizing, *self.producing]
            if not waiting:
                return
            ready, _ = self.ray.wait(waiting, num_returns=1)
            for ref in ready:
                if ref in self.synthesizing:
                    yield from self._take_arrived(ref)
                else:
                    yield from self._produced(ref)

    def _hand_out(self) -> Iterator[DocumentOutcome]:
        """Give free actors the next takes; start each document's production once its takes
        are all handed out."""
        while min(self.load) < QUEUED_PER_ACTOR:
            document = self.current
            if document is None or document.failed is not None:
                if not self.todo:
                    return
                self.current, outcome = self._begin(self.todo.popleft())
                if outcome is not None:
                    yield outcome
                continue
            if not document.requests:
                self._start_production(document)
                self.current = None
                continue
            key, request = document.requests.popleft()
            actor = self.load.index(min(self.load))
            ref = self.actors[actor].synthesize.remote(request)
            document.takes[key] = ref
            self.synthesizing[ref] = (document, key, actor)
            self.load[actor] += 1

    def _begin(self, pending: PendingDocument) -> tuple[_Document | None, DocumentOutcome | None]:
        started = time.perf_counter()
        rows = self.progress.document(pending.name, pending.characters)
        layout = OutputLayout(pending.layout.folder.resolve(), pending.layout.stem)
        store = self.store if self.store.durable else MemoryStore()
        try:
            prepared = prepare(pending.source, self.settings, self.engine, layout)
            ensure_writable(layout.folder)
            scratch.sweep_parts(layout.folder)
            keys = plan_keys(prepared.speech, self.engine, prepared.voice)
            missing = missing_requests(prepared.speech, keys, store)
            takes = {
                key: self.ray.put(stored_take(store, key))
                for key in dict.fromkeys(keys)
                if key not in missing
            }
        except Exception as exc:  # noqa: BLE001 - reported; the batch goes on
            return None, failure(pending.source, exc)
        rows.start(total=len(keys), done=sum(1 for key in keys if key not in missing))
        rows.stage("Synthesizing on Ray")
        document = _Document(
            pending,
            prepared,
            rows,
            started,
            keys,
            deque(missing.items()),
            {key: keys.count(key) for key in missing},
            store,
            takes,
        )
        return document, None

    def _take_arrived(self, ref: Any) -> Iterator[DocumentOutcome]:
        document, key, actor = self.synthesizing.pop(ref)
        self.load[actor] -= 1
        try:
            take = self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - the document fails, the batch goes on
            if document.failed is None:
                document.failed = failure(document.pending.source, _cause(exc))
                yield document.failed
            return
        document.store.put(key, take)  # the driver keeps the takes: a rerun reuses them
        document.synthesized += 1
        document.rows.advance(document.repeats[key])

    def _start_production(self, document: _Document) -> None:
        document.rows.stage("Levelling and encoding on Ray")
        takes = [document.takes[key] for key in document.keys]
        # The references go inside a list, so the call starts at once and fetches each take
        # as its production reaches it, instead of waiting for all of them.
        producer = self.productions.index(min(self.productions))
        self.productions[producer] += 1
        ref = self.producers[producer].produce.remote(document.prepared, takes)
        self.producing[ref] = (document, producer)

    def _produced(self, ref: Any) -> Iterator[DocumentOutcome]:
        document, producer = self.producing.pop(ref)
        self.productions[producer] -= 1
        if document.failed is not None:  # reported when its take failed
            return
        source = document.pending.source
        try:
            produced: Produced = self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - reported; the batch goes on
            yield failure(source, _cause(exc))
            return
        speech = document.prepared.speech
        yield DocumentOutcome(
            source,
            Outcome.DONE,
            outputs=produced.outputs,
            characters=document.prepared.characters,
            duration=produced.duration,
            seconds=time.perf_counter() - document.started,
            synthesized=document.synthesized,
            warnings=fill_warnings(self.settings.fills, [u.text for u in speech.utterances])
            + unspeakable_warnings(speech, document.prepared.voice),
        )


def _cause(exc: BaseException) -> BaseException:
    """The error a task raised, from Ray's wrapping of it."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc
