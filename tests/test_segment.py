from __future__ import annotations

from tts_pipeline.document import parse
from tts_pipeline.segment import MAX_UTTERANCE_CHARS, build_plan, split_long
from tts_pipeline.voices import Pauses


def test_short_text_is_one_piece() -> None:
    assert split_long("今天天气很好。") == ["今天天气很好。"]


def test_long_paragraph_splits_at_sentence_ends_only() -> None:
    sentences = [f"这是第{i}句话，内容比较长一些，用来凑够长度。" for i in range(40)]
    text = "".join(sentences)
    pieces = split_long(text, limit=100)
    assert "".join(pieces) == text
    assert all(len(p) <= 100 for p in pieces)
    # Never mid-sentence: every piece ends where a sentence ends.
    assert all(p.endswith("。") for p in pieces)
    assert len(pieces) > 1


def test_oversized_sentence_splits_at_clauses_then_hard() -> None:
    clause = "甲" * 40 + "，"
    text = clause * 10 + "。"
    pieces = split_long(text, limit=100)
    assert "".join(pieces) == text
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith(("，", "。")) for p in pieces)
    no_punct = "乙" * 5000
    hard = split_long(no_punct, limit=MAX_UTTERANCE_CHARS)
    assert "".join(hard) == no_punct and max(map(len, hard)) == MAX_UTTERANCE_CHARS


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "他说：“好！”" + "然后走了。" * 80
    pieces = split_long(text, limit=60)
    assert pieces[0].startswith("他说：“好！”")


def test_english_sentences_rejoined_with_spaces() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    pieces = split_long(text, limit=120)
    assert " ".join(pieces) == text
    assert all(len(p) <= 120 for p in pieces)


def test_pauses_and_ids() -> None:
    doc = parse("A Talk\nHello everyone.\n# Part Two\nFirst point.\nSecond point.\n")
    pauses = Pauses(title=1.5, sentence=0.3, paragraph=0.7, chapter=2.5)
    plan = build_plan(doc, pauses)
    got = [(u.id, u.kind, u.pause_after) for u in plan.utterances]
    assert got == [
        ("c01-title", "title", 1.5),
        ("c01-p001", "body", 2.5),
        ("c02-p001", "heading", 1.5),
        ("c02-p002", "body", 0.7),
        ("c02-p003", "body", 0.0),
    ]
    assert [c.title for c in plan.chapters] == ["Opening", "Part Two"]


def test_split_paragraph_gets_sentence_pauses() -> None:
    body = "This is a fairly long sentence that goes on. " * 12
    plan = build_plan(parse(f"T\n{body}\nEnd.\n"), Pauses(sentence=0.25, paragraph=0.9), limit=100)
    first_paragraph = [u for u in plan.utterances if u.id.startswith("c01-p001")]
    assert len(first_paragraph) > 1
    assert [u.pause_after for u in first_paragraph[:-1]] == [0.25] * (len(first_paragraph) - 1)
    assert first_paragraph[-1].pause_after == 0.9
    assert first_paragraph[0].id == "c01-p001-s1"


def test_plan_json_shape() -> None:
    plan = build_plan(parse("T\nOne.\n"))
    data = plan.to_json()
    assert set(data) == {"title", "chapters", "removed", "placeholders", "lexicon", "typos"}
    utterance = data["chapters"][0]["utterances"][0]
    assert set(utterance) == {"id", "text", "spoken", "pause_after"}
