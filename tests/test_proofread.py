"""Proofreading: near misses of the shipped official phrases, on the reference and on a corpus of
speeches written for these tests (tests/data/speeches: 27 speeches, typos planted in some of
them, each listed with its correction in typos.tsv)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tts_pipeline.text.document import load_document
from tts_pipeline.text.proofread import (
    MIN_PHRASE,
    SEPARATORS,
    default_table,
    find_typos,
    fix_typos,
    read_phrases,
)
from tts_pipeline.text.respell import Respelling
from tts_pipeline.text.segment import build_plan
from tts_pipeline.text.selection import parse_chapter_spec, select_chapters

SPEECHES = Path(__file__).parent / "data" / "speeches"
PHRASES = Path(__file__).parents[1] / "tts_pipeline" / "text" / "data" / "phrases.txt"
HAN = re.compile("[\u4e00-\u9fff]")
RECALL_FLOOR = 0.90
FALSE_FLAGS_PER_10K = 1.0


def test_every_phrase_is_well_formed() -> None:
    phrases = read_phrases(PHRASES.read_text(encoding="utf-8").splitlines())
    assert len(phrases) >= 300
    assert len(set(phrases)) == len(phrases), "a phrase is listed twice"
    for phrase in phrases:
        parts = phrase.split("、")
        assert all(parts), f"{phrase!r}: an empty part (a leading, trailing or doubled 、)"
        assert all(HAN.fullmatch(ch) for part in parts for ch in part), f"{phrase!r}"
        assert len(phrase.replace("、", "")) >= MIN_PHRASE, f"{phrase!r} is too short"
        assert not set(phrase) & set(SEPARATORS.replace("、", "")), phrase


def flags_of(text: str) -> list[tuple[str, str]]:
    return [(f.text, f.suggestion) for f in find_typos(text)]


def test_the_reference_has_two_typos_and_nothing_else(sample_path: Path) -> None:
    plan = build_plan(load_document(sample_path))
    assert [(t.text, t.suggestion, t.utterance) for t in plan.typos] == [
        ("隆庆祝", "隆重庆祝", "c01-p002-s1"),
        ("习近平新时达中国特色社会主义思想", "习近平新时代中国特色社会主义思想", "c07-p001"),
    ]
    spoken = "".join(u.spoken for u in plan.utterances)
    assert "隆庆祝" in spoken and "新时达" in spoken  # flagged, not changed


def test_fix_typos_says_the_suggestions(sample_path: Path) -> None:
    plan = build_plan(load_document(sample_path), respelling=Respelling(fix_typos=True))
    spoken = "".join(u.spoken for u in plan.utterances)
    assert "在这里隆重庆祝第三十六个教师节" in spoken
    assert "以习近平新时代中国特色社会主义思想为指导" in spoken
    assert "隆庆祝" not in spoken and "新时达" not in spoken
    assert all(t.fixed for t in plan.typos) and len(plan.typos) == 2
    written = "".join(u.text for u in plan.utterances)
    assert "隆庆祝" in written  # the written text (subtitles, page) stays as it was


def test_a_chapter_selection_keeps_only_its_own_typos(sample_path: Path) -> None:
    plan = build_plan(load_document(sample_path))
    for spec, kept in (("1", ["c01-p002-s1"]), ("2-6", []), ("7", ["c07-p001"])):
        chosen = select_chapters(plan, parse_chapter_spec(spec))
        assert [t.utterance for t in chosen.typos] == kept, spec
        assert {t.utterance for t in chosen.typos} <= {u.id for u in chosen.utterances}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one character replaced, missing, extra (doubled)
        ("坚持全面从严治当不动摇", [("全面从严治当", "全面从严治党")]),
        ("牢记为党育人、为国育才使命", []),
        ("不忘初心、牢记使名", [("不忘初心、牢记使名", "不忘初心、牢记使命")]),
        ("不忘初心，牢记使名", [("不忘初心，牢记使名", "不忘初心，牢记使命")]),
        ("要中华民族伟大大复兴", [("中华民族伟大大复兴", "中华民族伟大复兴")]),
        # a homophone that happens to make a word is still a typo (数人 is a word)
        ("落实立德数人根本任务", [("落实立德数人根本任务", "落实立德树人根本任务")]),
        # ordinary language: not flagged
        ("实现中华民族的伟大复兴", []),  # an extra particle
        ("坚持全面从严治军", []),  # 治军 is a word
        ("推动经济高质量发挥作用", []),  # 高质量发 + 挥: a shorter phrase, then other words
        ("进入了新的发展阶段", []),  # the first character of a short phrase is another word
        ("提升教育国际化水平", []),  # 教育国 + 际: no phrase there
        ("民族要复兴，乡村必振兴", []),  # an extra adverb in a short phrase
        ("首届文化旅游节隆重开幕", []),  # 隆重召开 minus 召, but 开幕 is a word
        ("谢谢大家！", []),
        ("", []),
    ],
)
def test_near_misses(text: str, expected: list[tuple[str, str]]) -> None:
    assert flags_of(text) == expected


def test_fix_typos_replaces_each_span() -> None:
    text = "今天隆庆祝节日，坚持全面从严治当。"
    assert fix_typos(text, find_typos(text)) == "今天隆重庆祝节日，坚持全面从严治党。"
    assert fix_typos(text, []) == text


def corpus_figures() -> tuple[int, int, list[str], list[str], int]:
    """(planted, found, missed, false flags, characters) over tests/data/speeches."""
    with (SPEECHES / "typos.tsv").open(encoding="utf-8") as handle:
        planted = list(csv.DictReader(handle, delimiter="\t"))
    found, missed, false, characters = 0, [], [], 0
    texts = sorted(SPEECHES.glob("*.txt"))
    assert {row["file"] for row in planted} <= {p.name for p in texts}
    for path in texts:
        text = path.read_text(encoding="utf-8")
        characters += len(text)
        lines = text.split("\n")
        flags = [(n, flag) for n, line in enumerate(lines) for flag in find_typos(line)]
        matched: set[int] = set()
        for row in (r for r in planted if r["file"] == path.name):
            assert text.count(row["written"]) == 1, row  # the typo is where the table says
            n = next(i for i, line in enumerate(lines) if row["written"] in line)
            corrected = lines[n].replace(row["written"], row["correct"])
            hits = [
                k
                for k, (line_no, f) in enumerate(flags)
                if line_no == n
                and lines[n][: f.start] + f.suggestion + lines[n][f.end :] == corrected
            ]
            if hits:
                found += 1
                matched.update(hits)
            else:
                missed.append(f"{path.name}: {row['written']}")
        false += [
            f"{path.name}: {f.text} → {f.suggestion}"
            for k, (_, f) in enumerate(flags)
            if k not in matched
        ]
    return len(planted), found, missed, false, characters


def test_corpus_recall_and_false_flags() -> None:
    planted, found, missed, false, characters = corpus_figures()
    recall = found / planted
    per_10k = len(false) / characters * 10_000
    print(
        f"\ncorpus: {len(list(SPEECHES.glob('*.txt')))} speeches, {characters} characters, "
        f"{planted} planted typos; found {found} (recall {recall:.1%}), "
        f"{len(false)} false flag(s) ({per_10k:.2f} per 10,000 characters)"
    )
    for line in missed:
        print(f"  missed: {line}")
    for line in false:
        print(f"  false flag: {line}")
    assert planted >= 30 and len(list(SPEECHES.glob("*.txt"))) >= 20
    assert recall >= RECALL_FLOOR, missed
    assert per_10k <= FALSE_FLAGS_PER_10K, false


def test_the_table_indexes_every_phrase() -> None:
    table = default_table()
    for phrase in table.phrases[::7]:
        text = f"我们要{phrase}。"
        candidates, exact = table.scan(text)
        assert (3, 3 + len(phrase)) in exact, phrase
        assert all(text[c.start : c.end] != phrase for c in candidates)


def test_character_readings_agree_with_pypinyin() -> None:
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    from tts_pipeline.text.proofread import _readings

    for code, marked in list(PINYIN_DICT.items())[::40]:
        expected = {to_normal(r).replace("ü", "v") for r in marked.split(",")}
        assert _readings(chr(code)) == expected, chr(code)
