from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import edge_tts.communicate
import edge_tts.voices
import pytest
from edge_tts.drm import DRM

from tests.fake_edge import FakeEdgeService, clear_proxies
from tts_pipeline.engines.edge.endpoint import ENV_VAR
from tts_pipeline.synthesis.cache import CACHE_ENV
from tts_pipeline.text.lexicon import USER_LEXICON_ENV

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "samples" / "speech_zh.txt"


# The Ctrl-C tests send SIGINT to this process and to renders it starts. A test run started in the
# background by a shell script (`.ci/run &`, nohup) inherits SIGINT ignored, which every render
# would inherit too: Ctrl-C is given back its usual meaning here, as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def sample_path() -> Path:
    if not SAMPLE.exists():
        pytest.fail(f"reference input missing: {SAMPLE} (../shared must sit beside the repo)")
    return SAMPLE


@pytest.fixture
def sample_text(sample_path: Path) -> str:
    return sample_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The per-test isolation below comes after module-scoped fixtures have run (a plan or a
    render shared by a module's tests): they, too, never touch the user's take cache (where a
    render keeps the segmenter's word list) or read the user's lexicon."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("session-take-cache")))
        lexicon = tmp_path_factory.mktemp("session-user-lexicon") / "lexicon.toml"
        monkeypatch.setenv(USER_LEXICON_ENV, str(lexicon))
        yield


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Tests never read or write the user's real take cache."""
    root = tmp_path_factory.mktemp("take-cache")
    monkeypatch.setenv(CACHE_ENV, str(root))
    return root


@pytest.fixture(autouse=True)
def isolated_lexicon(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Tests never read the user's real lexicon (it is read by every plan): none is there."""
    path = tmp_path_factory.mktemp("user-lexicon") / "lexicon.toml"
    monkeypatch.setenv(USER_LEXICON_ENV, str(path))
    return path


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
