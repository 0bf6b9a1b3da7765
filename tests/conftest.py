from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "samples" / "speech_zh.txt"


@pytest.fixture
def sample_path() -> Path:
    if not SAMPLE.exists():
        pytest.fail(f"reference input missing: {SAMPLE} (../shared must sit beside the repo)")
    return SAMPLE


@pytest.fixture
def sample_text(sample_path: Path) -> str:
    return sample_path.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Tests never read or write the user's real take cache."""
    root = tmp_path_factory.mktemp("take-cache")
    monkeypatch.setenv("TTS_PIPELINE_CACHE_DIR", str(root))
    return root
