from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tts_pipeline.text.document import build_document, parse
from tts_pipeline.text.normalize import FillMap
from tts_pipeline.text.pieces import MAX_UTTERANCE_CHARS, split_long
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.text.sources import from_text
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
    assert set(data) == {
        "title", "chapters", "removed", "placeholders", "unspeakable", "lexicon", "typos"
    }  # fmt: skip
    utterance = data["chapters"][0]["utterances"][0]
    assert set(utterance) == {"id", "text", "spoken", "pause_after"}


# --- spoken text within the limit, whatever the fill-ins and the normalizer make of it ----------

LONGEST_FILL = "石家庄市第一中学" * 12 + "附属小学"  # 100 characters: the longest value allowed


def _spoken_lengths(plan: Plan) -> list[int]:
    return [len(u.spoken) for u in plan.utterances]


def test_fill_values_are_split_after_filling() -> None:
    # 40 placeholders in one sentence of 239 characters, each filled with the longest value
    # allowed: 4,000 characters to say, which the plan used to send as one utterance.
    sentence = "，".join(["XX中学"] * 40) + "。"
    doc = parse(f"会议\n{sentence}\n谢谢大家！\n")
    fills = FillMap.from_mapping({"XX中学": LONGEST_FILL})
    assert len(LONGEST_FILL) == 100
    plan = build_plan(doc, fills=fills)
    assert max(_spoken_lengths(plan)) <= MAX_UTTERANCE_CHARS
    pieces = [u for u in plan.utterances if u.id.startswith("c01-p001")]
    assert [u.id for u in pieces] == [f"c01-p001-s{i}" for i in range(1, len(pieces) + 1)]
    assert "".join(u.text for u in pieces) == sentence  # the written text, cut, not changed
    assert "".join(u.spoken for u in pieces).count(LONGEST_FILL) == 40
    assert [u.pause_after for u in pieces] == [0.4] * (len(pieces) - 1) + [0.8]
    assert [p.filled for p in plan.placeholders] == [True] * 40
    # The ids of the other utterances do not change.
    assert [u.id for u in plan.utterances if not u.id.startswith("c01-p001")] == [
        "c01-title",
        "c01-p002",
    ]


def test_positional_fills_keep_their_order_when_a_piece_is_split_again() -> None:
    values = [f"{i}号{'甲' * 90}楼" for i in range(1, 11)]  # ten values, ~95 characters each
    doc = parse("会议\n" + "，".join(["XX楼"] * 8) + "。\n还有XX楼和XX楼。\n")
    plan = build_plan(doc, fills=FillMap.from_mapping({"XX楼": values}))
    assert max(_spoken_lengths(plan)) <= MAX_UTTERANCE_CHARS
    numbers = "一二三四五六七八九十"
    said = [p.spoken[0] if p.spoken[1] == "号" else p.spoken[:2] for p in plan.placeholders]
    assert said == list(numbers)  # 1…10 in reading order, none twice
    assert [p.utterance.split("-s")[0] for p in plan.placeholders][-2:] == ["c01-p002"] * 2


def test_normalizer_expansion_is_split_too() -> None:
    # ≠ reads 不等于: 200 written characters, 600 spoken ones.
    plan = build_plan(parse("符号\n" + "≠" * 200 + "\n"))
    assert max(_spoken_lengths(plan)) <= MAX_UTTERANCE_CHARS
    assert "".join(u.text for u in plan.utterances[1:]) == "≠" * 200


def test_text_that_cannot_be_cut_is_still_within_the_limit() -> None:
    # One run of digits and signs (no place to cut it that keeps its reading): 5% is 百分之五.
    run = "5%" * 120
    plan = build_plan(parse(f"数字\n{run}\n"))
    assert max(_spoken_lengths(plan)) <= MAX_UTTERANCE_CHARS
    assert "".join(u.spoken for u in plan.utterances[1:]) == "百分之五" * 120
    assert "".join(u.text for u in plan.utterances[1:]) == run
    assert all(u.text for u in plan.utterances)


def test_a_long_title_is_split_like_a_paragraph() -> None:
    # 460 characters: no line that long looks like a title, so it is given (--title).
    title = "关于进一步加强和改进新时代教育工作的若干意见，" * 20
    plan = build_plan(build_document(from_text("正文。\n", "input", "input", "txt"), title=title))
    titles = [u for u in plan.utterances if u.kind == "title"]
    assert len(titles) > 1 and titles[0].id == "c01-title-s1"
    assert max(_spoken_lengths(plan)) <= MAX_UTTERANCE_CHARS
    assert titles[-1].pause_after == Pauses().title


PIECES = st.sampled_from(["XX中学", "XX人", "，", "。", "≠", "5%", "2个", "甲乙", " ", "GDP", "😀"])


@settings(max_examples=150, deadline=None)
@given(
    paragraphs=st.lists(st.lists(PIECES, min_size=1, max_size=60).map("".join), max_size=4),
    school=st.text(alphabet="丙丁≠5%，。 ", min_size=20, max_size=100),
    people=st.lists(st.text(alphabet="0123456789人≥", min_size=10, max_size=100), max_size=5),
)
def test_no_spoken_text_outgrows_the_limit(
    paragraphs: list[str], school: str, people: list[str]
) -> None:
    """Whatever the fill-ins (up to 100 characters) and the normalizer make of the text, every
    utterance says at most ``limit`` characters, and ids stay unique."""
    fills = FillMap.from_mapping({"XX中学": school, "XX人": people})
    doc = parse("标题\n" + "\n".join(p for p in paragraphs if p.strip()) + "\n")
    plan = build_plan(doc, fills=fills, limit=60)
    assert max(_spoken_lengths(plan)) <= 60
    assert all(u.text for u in plan.utterances)
    ids = [u.id for u in plan.utterances]
    assert len(ids) == len(set(ids))
