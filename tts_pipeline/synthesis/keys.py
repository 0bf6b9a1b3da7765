"""Take keys: the content address of a take is everything that shapes its sound."""

from __future__ import annotations

import hashlib

from tts_pipeline.engines.base import Engine
from tts_pipeline.text.segment import Plan
from tts_pipeline.voices import VoiceProfile


def take_key(engine_identity: str, spoken: str) -> str:
    """Content address of a take: everything that shapes its sound, nothing else."""
    digest = hashlib.sha256()
    digest.update(engine_identity.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(spoken.encode("utf-8"))
    return digest.hexdigest()


def plan_keys(plan: Plan, engine: Engine, voice: VoiceProfile) -> list[str]:
    """The take key of every utterance, in plan order."""
    identity = engine.identity(voice)
    return [take_key(identity, u.spoken) for u in plan.utterances]
