"""Take keys: the content address of a take is everything that shapes its sound."""

from __future__ import annotations

import hashlib

from tts_pipeline.engines.base import Engine, Pronunciation
from tts_pipeline.engines.registry import PINYIN_ENGINES
from tts_pipeline.text.segment import Plan
from tts_pipeline.voices import VoiceProfile


def take_key(
    engine_identity: str, spoken: str, pronunciations: tuple[Pronunciation, ...] = ()
) -> str:
    """Content address of a take: everything that shapes its sound, nothing else (the lexicon's
    readings only where they occur in ``spoken`` and the engine takes them)."""
    digest = hashlib.sha256()
    digest.update(engine_identity.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(spoken.encode("utf-8"))
    for p in pronunciations:  # none: the key is what it was before lexicons existed
        word = "|word" if p.whole_word else ""
        digest.update(f"\x00{p.text}={' '.join(p.pinyin)}{word}".encode())
    return digest.hexdigest()


def plan_keys(plan: Plan, engine: Engine, voice: VoiceProfile) -> list[str]:
    """The take key of every utterance, in plan order."""
    identity = engine.identity(voice)
    if engine.name not in PINYIN_ENGINES:
        return [take_key(identity, u.spoken) for u in plan.utterances]
    return [take_key(identity, u.spoken, u.pronunciations) for u in plan.utterances]
