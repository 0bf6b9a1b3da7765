"""Whether a render's files are up to date: its manifest records a SHA-256 of the input file and
one of the settings that shaped the files (``Provenance``); a batch skips a document whose files
are all there and whose manifest records the same two.

The settings digest covers everything the files are made of besides the input's bytes: the plan
(what is spoken, the pauses, the chapters chosen, the lexicon's readings: fill-ins, lexicons and
voice pauses act through it), the voice as its engine names it (engine version, models, rate,
pitch, volume), the fallback voice, the loudness target and ceiling, the tags (the date only when
it was given: the default, today, changes daily), the cover and the production's sounds (each
file's SHA-256, its gain). Which formats and which files a run asks for is not in it: a file
that is asked for and missing makes the document out of date anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tts_pipeline.audio.clips import Sound
from tts_pipeline.errors import InputError
from tts_pipeline.outputs.manifest import Provenance
from tts_pipeline.outputs.programme import ProgrammeOptions
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.text.segment import Plan

DIGEST_VERSION = 2  # bump when the digest's record changes shape


def input_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (streamed: no copy in memory)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def settings_sha256(
    plan: Plan,
    voice: str,
    fallback: str | None,
    options: ProgrammeOptions,
    tags: Tags,
    sounds: Mapping[str, Sound] | None = None,
) -> str:
    """SHA-256 of what shaped a render's files besides the input (``voice``, ``fallback``: the
    engines' identities of the voices; ``tags`` as given, the date empty unless given)."""
    record: dict[str, Any] = {
        "version": DIGEST_VERSION,
        "plan": asdict(plan),
        "voice": voice,
        "fallback": fallback,
        "loudness": options.loudness,
        "true_peak": options.true_peak,
        "cover": hashlib.sha256(options.cover.data).hexdigest() if options.cover else None,
        "tags": asdict(tags),
        "sounds": {
            kind: [sound.sha256, sound.gain_db] for kind, sound in sorted((sounds or {}).items())
        },
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def up_to_date(expected: Mapping[str, Path], manifest: Path, provenance: Provenance) -> bool:
    """Every expected file is there and the manifest says it was made of the same input and
    settings, by the voice asked for (a render helped out by a fallback voice is not done)."""
    if not all(path.is_file() for path in expected.values()):
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(recorded, dict)
        and recorded.get("input_sha256") == provenance.input_sha256
        and recorded.get("settings_sha256") == provenance.settings_sha256
        and "fallback" not in recorded
    )
