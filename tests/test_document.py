from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from tts_pipeline.errors import InputError
from tts_pipeline.text.decoding import decode
from tts_pipeline.text.document import (
    fullwidth_punctuation,
    heading_clause,
    load_document,
    parse,
)
from tts_pipeline.text.segment import build_plan
from tts_pipeline.text.sources import read_text

SPEECH = "标题\n\n各位同志：\n\n第一，做好工作。内容。\n\n第二，加强学习。内容！\n"

EXPECTED_SECTION_TITLES = [
    "第一，进一步增强做好新时代教育工作的政治责任感和历史使命感",
    "第二，全面深化教育改革，激发教育发展活力",
    "第三，强化教育保障，营造良好的教育发展环境",
    "第四，聚焦关键领域，全面提升教育质量",
    "第五，加强党的领导，确保教育事业正确方向",
]


# --- decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        SPEECH.encode("utf-8"),
        codecs.BOM_UTF8 + SPEECH.encode("utf-8"),
        SPEECH.encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + SPEECH.encode("utf-16-be"),
        SPEECH.encode("utf-16-le"),  # without BOM
        SPEECH.encode("utf-16-be"),
        SPEECH.encode("gbk"),
        SPEECH.encode("gb18030"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16be-bom", "utf16le", "utf16be", "gbk", "gb18030"],
)
def test_decode_encodings(data: bytes) -> None:
    assert decode(data).replace("\ufeff", "") == SPEECH


def test_decode_gbk_sample(sample_text: str) -> None:
    assert decode(sample_text.encode("gbk", errors="ignore")).startswith("某区委书记")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \n\t \r\n", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x00\x01\x02\x03\xff\xfe\xfa" * 50, "binary"),
        (b"\x81\x30\xff\xff\xfe" * 40, "not text"),
        # A byte-order mark then bytes that are not of its encoding (cut short, or not text).
        (codecs.BOM_UTF16_BE + b"\x00\x00\x00", "UTF-16 byte-order mark but is not UTF-16"),
        (codecs.BOM_UTF16_LE + "讲话".encode("utf-16-le")[:3], "not UTF-16 text"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfd", "UTF-8 byte-order mark but is not UTF-8 text"),
    ],
)
def test_decode_refuses_bad_bytes(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        decode(data)


def test_read_text_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="directory"):
        read_text(tmp_path)
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    with pytest.raises(InputError):
        read_text(loop)


# --- cleaning ---------------------------------------------------------------------------------


def test_fullwidth_punctuation_next_to_chinese_only() -> None:
    assert fullwidth_punctuation("各位老师,同志们:") == "各位老师，同志们："
    assert fullwidth_punctuation("1,200元") == "1,200元"
    assert fullwidth_punctuation("Hello, world: yes") == "Hello, world: yes"


def paragraphs_of(text: str) -> list[str]:
    document = parse(text)
    return [p for chapter in document.chapters for p in chapter.paragraphs]


def test_clean_removes_web_footer_and_keeps_speech(sample_text: str) -> None:
    removed = parse(sample_text).removed
    assert len(removed) == 1
    assert "http://" in removed[0].text and "由互联网用户分享整理" in removed[0].text
    assert removed[0].rule == "shared-by"
    paragraphs = paragraphs_of(sample_text)
    assert not any("http" in p for p in paragraphs)
    assert paragraphs[-1] == "谢谢大家！"


def test_clean_keeps_speech_that_mentions_a_link() -> None:
    line = "请大家登录教育局官网 www.example.gov.cn 查看本次大会的全部材料和今后的工作安排。"
    assert parse(f"标题\n{line}\n").removed == ()
    assert paragraphs_of(f"标题\n{line}\n") == [line]


def test_whitespace_normalised() -> None:
    document = parse("标题\r\n\u3000\u3000第一段。\r\n\r\n  第二段\u200b。\r")
    assert document.title == "标题"
    assert paragraphs_of("标题\r\n\u3000\u3000第一段。\r\n\r\n  第二段\u200b。\r") == [
        "第一段。",
        "第二段。",
    ]


# --- chapters ---------------------------------------------------------------------------------


def test_reference_chapters(sample_path: Path) -> None:
    doc = load_document(sample_path)
    assert doc.title == "某区委书记在全区202x年教育工作大会上的讲话"
    assert doc.language == "zh-CN"
    assert [c.kind for c in doc.chapters] == ["opening"] + ["section"] * 5 + ["closing"]
    assert [c.title for c in doc.chapters[1:6]] == EXPECTED_SECTION_TITLES
    assert doc.chapters[0].paragraphs[0] == "各位老师，同志们："
    assert doc.chapters[-1].paragraphs[-1] == "谢谢大家！"
    assert doc.chapters[-1].paragraphs[0].startswith("总之")
    # Every speech paragraph lands in exactly one chapter.
    assert sum(len(c.paragraphs) for c in doc.chapters) == 9


def test_nested_markers_stay_inside_their_section() -> None:
    text = (
        "工作报告\n同志们：\n一、过去一年的工作。\n（一）经济发展。\n（二）社会事业。\n"
        "二、今年的任务。\n（一）稳增长。\n最后，祝大家新年快乐！\n"
    )
    doc = parse(text)
    assert [c.title for c in doc.chapters] == [
        "开场白",
        "一、过去一年的工作",
        "二、今年的任务",
        "结束语",
    ]
    assert len(doc.chapters[1].paragraphs) == 3


def test_markdown_headings_win_over_heuristics() -> None:
    text = "# 讲话稿\n开场的话。\n## 第一部分\n第一，这句不是章节。\n## 第二部分\n内容。\n"
    doc = parse(text)
    assert doc.title == "讲话稿"
    assert [(c.title, c.heading) for c in doc.chapters] == [
        ("开场白", False),
        ("第一部分", True),
        ("第二部分", True),
    ]


def test_a_heading_below_the_first_sentence_is_a_section_not_the_title() -> None:
    # "# Two" looks more like a title than "Title" does, but speech comes before it.
    doc = parse("Title\nHello there.\n# Two\nBody one.\n")
    assert doc.title == "Title"
    assert doc.removed == ()
    assert [(c.title, c.paragraphs) for c in doc.chapters] == [
        ("Opening", ("Hello there.",)),
        ("Two", ("Body one.",)),
    ]
    doc = parse("年度总结\n今年我们完成了全部任务。\n# 一年的工作\n内容。\n")
    assert (doc.title, doc.removed) == ("年度总结", ())
    assert [c.title for c in doc.chapters] == ["开场白", "一年的工作"]


# --- the title: spoken when it is the speech's own ------------------------------------------

NO_TITLE = "同志们：\n今年的工作取得了很大成绩。\n谢谢大家！\n"


def test_a_title_from_the_file_name_names_the_speech_but_is_not_spoken(tmp_path: Path) -> None:
    path = tmp_path / "年终总结.txt"
    path.write_text(NO_TITLE, encoding="utf-8")
    document = load_document(path)
    assert (document.title, document.title_origin) == ("年终总结", "file name")
    plan = build_plan(document)
    assert plan.title == "年终总结"
    assert [(u.kind, u.text) for u in plan.utterances] == [
        ("body", "同志们："),
        ("body", "今年的工作取得了很大成绩。"),
        ("body", "谢谢大家！"),
    ]
    assert [note for note in plan.notes if "'年终总结'" in note and "not spoken" in note]


def test_a_title_found_in_the_text_or_given_is_spoken(tmp_path: Path) -> None:
    path = tmp_path / "年终总结.txt"
    path.write_text("在年终总结会上的讲话\n" + NO_TITLE, encoding="utf-8")
    found = build_plan(load_document(path))
    path.write_text(NO_TITLE, encoding="utf-8")
    given = build_plan(load_document(path, title="年终总结讲话"))
    for plan, title in ((found, "在年终总结会上的讲话"), (given, "年终总结讲话")):
        assert plan.title == title
        first = plan.utterances[0]
        assert (first.id, first.kind, first.text) == ("c01-title", "title", title)
        assert [u.text for u in plan.utterances[1:]] == NO_TITLE.split()
        assert plan.notes == ()


def test_document_without_markers_is_one_chapter() -> None:
    doc = parse("A Short Talk\nFirst paragraph here.\nSecond paragraph here.\n")
    assert doc.language == "en-US"
    assert [c.title for c in doc.chapters] == ["Opening"]
    assert doc.chapters[0].paragraphs == ("First paragraph here.", "Second paragraph here.")


def test_heading_clause_is_bounded() -> None:
    assert heading_clause("第一，短标题。正文") == "第一，短标题"
    long = "第一，" + "很长" * 50 + "。"
    assert len(heading_clause(long)) <= 61


def test_mixed_encodings_refused_with_the_line() -> None:
    data = "第一行是UTF-8编码的文字。\n".encode() + "第二行是GBK编码的文字。\n".encode("gbk")
    with pytest.raises(InputError, match="mixes encodings: UTF-8 up to line 2"):
        decode(data)


GBK_BODY = "同志们：\n\n学水平。一是加强教师队伍建设，二是推进课程改革。\n\n谢谢大家！\n"


@pytest.mark.parametrize("title", ["测试", "讲", "会议讲话"])
def test_a_short_utf8_title_before_a_gbk_body_is_mixed(title: str) -> None:
    # The title's bytes read as GB18030 are mojibake (测试 → 娴嬭瘯): not a decoding to pick.
    data = f"{title}\n".encode() + GBK_BODY.encode("gbk")
    with pytest.raises(InputError, match="mixes encodings: UTF-8 up to line 2"):
        decode(data)


def test_mixed_even_when_the_gbk_part_starts_like_utf8() -> None:
    # 学水平 in GBK is valid UTF-8 too (ѧˮƽ): the break comes three characters later.
    body = "学水平。一是加强教师队伍建设。\n".encode("gbk")
    assert body.decode("utf-8", errors="ignore").startswith("ѧˮƽ")
    with pytest.raises(InputError, match="mixes encodings: UTF-8 up to line 2"):
        decode("测试\n".encode() + body)


@pytest.mark.parametrize(
    "text",
    ["师，同志们：大家好！", "元，约占全部财政支出的百分之二十。", "路漫漫其修远兮。"],
)
def test_gbk_that_starts_like_utf8_still_decodes(text: str) -> None:
    data = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError) as caught:
        data.decode("utf-8")
    assert not data[: caught.value.start].isascii()  # its first bytes are valid UTF-8 too
    assert decode(data) == text


def test_mixed_encoding_rule_on_every_start_of_the_reference(sample_text: str) -> None:
    """Both directions, from every 3rd character of the reference: GBK from there decodes; a
    UTF-8 title of one or two characters from there before a GBK body is refused."""
    starts = [
        i for i in range(0, len(sample_text) - 80, 3) if "\u4e00" <= sample_text[i] <= "\u9fff"
    ]
    body = sample_text[sample_text.index("\n") :].encode("gbk", errors="ignore")
    for i in starts:
        chunk = sample_text[i : i + 80]
        assert decode(chunk.encode("gbk")) == chunk
        for title in (sample_text[i], sample_text[i : i + 2]):
            with pytest.raises(InputError, match="mixes encodings"):
                decode(title.encode() + body)


def test_nul_bytes_in_text_are_binary() -> None:
    with pytest.raises(InputError, match="binary"):
        decode(("讲话稿\n" * 10).encode() + b"\x00" * 200)


def test_too_large_input_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes("讲话。\n".encode() * 3_000_000)  # 21 MB
    with pytest.raises(InputError, match="the limit is 5 MB"):
        read_text(big)
