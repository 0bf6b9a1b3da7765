"""Test helper: tests that need an optional extra (not in the default dependency groups).

On a developer's machine without the extra they are skipped, saying how to install it; where
$TTS_PIPELINE_REQUIRE_EXTRAS is set (.ci/run sets it after installing every extra's group) its
absence fails them instead: CI never passes by skipping them.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

REQUIRE_ENV = "TTS_PIPELINE_REQUIRE_EXTRAS"


def require_extra(extra: str, modules: tuple[str, ...], install: str) -> None:
    """Skip (or, in CI, fail) unless every module of ``extra`` can be imported."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    reason = f"the {extra} extra is not installed (no {', '.join(missing)}): {install}"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason}; ${REQUIRE_ENV} is set, so this is a failure")
    pytest.skip(reason)


def require_ray() -> None:
    require_extra("ray", ("ray",), "python3 -m uv sync --group ray")
