"""Speeches copied from template sites (tests/data/pages, written for these tests in the shape
such pages have): the title, the chapters and every removed line with the rule that removed it.

The removed list is compared exactly, so a line of speech that is removed fails the test as
surely as page chrome that is read aloud.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tts_pipeline.text.chrome import rules
from tts_pipeline.text.document import fullwidth_punctuation, load_document, normalize_whitespace
from tts_pipeline.text.segment import build_plan
from tts_pipeline.text.title import ABOVE, REPEATED

PAGES = Path(__file__).parent / "data" / "pages"
EXPECTED: list[dict] = tomllib.loads((PAGES / "expected.toml").read_text("utf-8"))["page"]


@pytest.mark.parametrize("page", EXPECTED, ids=[p["file"] for p in EXPECTED])
def test_title_chapters_and_removed_lines(page: dict) -> None:
    document = load_document(PAGES / page["file"])
    assert document.title == page["title"]
    assert [c.title for c in document.chapters] == page["chapters"]
    assert [[line.rule, line.text] for line in document.removed] == page["removed"]


def test_there_are_enough_pages_and_every_rule_is_exercised() -> None:
    assert len(EXPECTED) >= 20
    seen = {rule for page in EXPECTED for rule, _text in page["removed"]}
    assert {rule.name for rule in rules()} | {REPEATED, ABOVE} <= seen


@pytest.mark.parametrize("page", EXPECTED, ids=[p["file"] for p in EXPECTED])
def test_nothing_removed_is_spoken_and_every_kept_line_is(page: dict) -> None:
    document = load_document(PAGES / page["file"])
    plan = build_plan(document)
    written = [u.text for u in plan.utterances if u.kind != "title"]  # the title is said once
    for _rule, text in page["removed"]:
        assert text not in written
    removed = {text for _rule, text in page["removed"]}
    if page["file"].endswith(".txt"):  # Markdown lines lose their markup when read
        source = (PAGES / page["file"]).read_text("utf-8")
        lines = [line for line in normalize_whitespace(source).split("\n") if line]
        kept = [fullwidth_punctuation(line) for line in lines]
        paragraphs = [p for c in document.chapters for p in c.paragraphs]
        for line in kept:
            if line not in removed:
                assert line in paragraphs or line in document.title, line


@pytest.mark.parametrize(
    "page", [p for p in EXPECTED if p["removed"]], ids=[p["file"] for p in EXPECTED if p["removed"]]
)
def test_keep_all_keeps_every_line(page: dict) -> None:
    document = load_document(PAGES / page["file"], keep_all=True)
    assert document.removed == ()
    kept = [document.title, *(p for c in document.chapters for p in c.paragraphs)]
    for _rule, text in page["removed"]:
        assert text in kept


def test_title_option_overrides_and_the_own_title_line_is_listed() -> None:
    document = load_document(PAGES / "01-header-chrome.txt", title="安全生产讲话")
    assert document.title == "安全生产讲话"
    assert document.title_origin == "option"
    assert ["replaced-title", "在全镇秋季安全生产工作会议上的讲话"] in [
        [line.rule, line.text] for line in document.removed
    ]
