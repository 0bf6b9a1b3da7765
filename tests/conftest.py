from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import edge_tts.communicate
import edge_tts.voices
import pytest
from edge_tts.drm import DRM

from tests.fake_edge import FakeEdgeService, clear_proxies
from tts_pipeline.engines.edge.endpoint import ENV_VAR

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


@pytest.fixture(autouse=True)
def isolated_edge_tts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No proxies, no endpoint override from the shell, and edge-tts globals restored."""
    clear_proxies(monkeypatch)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", edge_tts.communicate.WSS_URL)
    monkeypatch.setattr(edge_tts.voices, "VOICE_LIST", edge_tts.voices.VOICE_LIST)
    DRM.clock_skew_seconds = 0.0
    yield
    DRM.clock_skew_seconds = 0.0


@pytest.fixture
def fake() -> Iterator[FakeEdgeService]:
    """The fake edge service (tests/fake_edge.py), answering at once."""
    with FakeEdgeService(latency=0.0, speed=0.0) as service:
        yield service
