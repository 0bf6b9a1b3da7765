"""`tts-pipeline plan --json` on the reference speech: the documented shape, nothing unspeakable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_tools import run_cli
from tests.test_document import EXPECTED_SECTION_TITLES


@pytest.fixture(scope="module")
def plan_json() -> dict:
    sample = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "speech_zh.txt"
    result = run_cli("plan", sample, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_shape(plan_json: dict) -> None:
    assert set(plan_json) == {
        "title", "chapters", "removed", "placeholders", "unspeakable", "lexicon", "typos"
    }  # fmt: skip
    assert isinstance(plan_json["title"], str)
    for chapter in plan_json["chapters"]:
        assert set(chapter) == {"title", "utterances"}
        for u in chapter["utterances"]:
            assert set(u) == {"id", "text", "spoken", "pause_after"}
            assert isinstance(u["pause_after"], float)
    for p in plan_json["placeholders"]:
        assert set(p) == {"text", "spoken", "utterance"}


def test_the_default_voice_can_say_all_of_it(plan_json: dict) -> None:
    assert plan_json["unspeakable"] == []


def test_chapters(plan_json: dict) -> None:
    titles = [c["title"] for c in plan_json["chapters"]]
    assert len(titles) == 7
    assert titles[1:6] == EXPECTED_SECTION_TITLES


def test_spoken_text_is_speakable(plan_json: dict) -> None:
    spoken = [u["spoken"] for c in plan_json["chapters"] for u in c["utterances"]]
    joined = "\n".join(spoken)
    assert not re.search(r"[0-9]", joined)
    assert not re.search(r"[A-Za-z]", joined)  # no placeholder letters (the speech has no words)
    assert "http" not in joined and "www" not in joined
    assert "二零二几年" in joined or "某年" in joined


def test_placeholders_listed(plan_json: dict) -> None:
    texts = " ".join(p["text"] for p in plan_json["placeholders"])
    for written in ("202x年", "20xx年", "XX亿元", "XX%", "XX中学"):
        assert written in texts
    ids = {u["id"] for c in plan_json["chapters"] for u in c["utterances"]}
    assert all(p["utterance"] in ids for p in plan_json["placeholders"])


def test_removed_footer(plan_json: dict) -> None:
    assert len(plan_json["removed"]) == 1 and "http://" in plan_json["removed"][0]["text"]
    assert plan_json["removed"][0]["rule"] == "shared-by"
