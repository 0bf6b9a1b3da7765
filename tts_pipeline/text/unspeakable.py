"""What a voice cannot say of a plan, told to the user: one error before any synthesis when it
can say nothing of it, else one warning naming where text is left out (``tts-pipeline plan``
shows each piece)."""

from __future__ import annotations

from tts_pipeline.errors import InputError
from tts_pipeline.text.segment import Plan
from tts_pipeline.voices import VoiceProfile

# How much unspeakable text a warning or an error quotes, and how many utterances it names.
QUOTED_TEXTS = 4
QUOTED_CHARS = 24
QUOTED_IDS = 12


def require_speech(plan: Plan, voice: VoiceProfile, name: str) -> None:
    """Fail (one line, before any synthesis) when the voice can say nothing of the plan."""
    if plan.says_nothing:
        raise InputError(
            f"the voice {voice.name} can say nothing of {name}: it cannot say {_quoted(plan)} "
            "(for text in another language, choose a voice that speaks it with --voice)"
        )


def unspeakable_warnings(plan: Plan, voice: VoiceProfile) -> tuple[str, ...]:
    """One line naming the utterances with text the voice cannot say (it is left out)."""
    if not plan.unspeakable:
        return ()
    ids = list(dict.fromkeys(x.utterance for x in plan.unspeakable))
    named = ", ".join(ids[:QUOTED_IDS]) + (
        f" and {len(ids) - QUOTED_IDS} more" if len(ids) > QUOTED_IDS else ""
    )
    return (
        f"the voice {voice.name} cannot say some text, which is left out: {_quoted(plan)} "
        f"in {named} (`tts-pipeline plan` shows where)",
    )


def _quoted(plan: Plan) -> str:
    texts = list(dict.fromkeys(x.text for x in plan.unspeakable if x.text))
    shown = [
        repr(t if len(t) <= QUOTED_CHARS else t[: QUOTED_CHARS - 1] + "…")
        for t in texts[:QUOTED_TEXTS]
    ]
    more = len(texts) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "anything"
