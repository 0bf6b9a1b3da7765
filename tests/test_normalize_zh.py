"""Chinese text normalization: the case table, the public conventions, fills, the reference speech.

Case table: tests/data/normalize_zh_cases.tsv (category, input, expected, note). A "fill" row
carries its fill-ins in the note as ``fills={TOML inline table}``; "⏎" in a row separates the
utterances of one document (fill-in positions count across them).
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

import pytest

from tts_pipeline.errors import SettingsError
from tts_pipeline.text.normalize import (
    FillMap,
    Normalized,
    PlaceholderHit,
    load_fills,
    normalize,
    normalize_all,
)
from tts_pipeline.text.normalize.zh import pipeline as zh
from tts_pipeline.text.normalize.zh.pipeline import (
    RULE_ORDER,
    apply_rule_set,
    normalize_zh,
    rule_sets,
)

HERE = Path(__file__).resolve().parent
CASES = HERE / "data" / "normalize_zh_cases.tsv"
PUBLIC = HERE.parents[0] / ".." / "shared" / "data" / "zh_tn_public_cases.tsv"
SPEECH = HERE.parents[0] / ".." / "shared" / "samples" / "speech_zh.txt"
UTTERANCE_BREAK = "⏎"

# Public cases we knowingly read differently, and why.
DELIBERATE_DEVIATIONS = {
    "010-64035547": "a phone number reads 1 as 幺 everywhere, landline area codes too "
    "(零幺零, as Beijing numbers are said aloud); WeTextProcessing reads 零一零",
}


def _read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[1:]


def _fills_of(note: str) -> FillMap | None:
    match = re.match(r"fills=(\{.*\})", note)
    if not match:
        return None
    return FillMap.from_mapping(tomllib.loads("fills = " + match.group(1))["fills"])


def _run(text: str, fills: FillMap | None) -> str:
    return UTTERANCE_BREAK.join(
        n.spoken for n in normalize_all(text.split(UTTERANCE_BREAK), fills=fills)
    )


CASE_ROWS = _read_tsv(CASES)


# ---------------------------------------------------------------------------------------------
# The case table


def test_case_table_is_large_and_covers_every_category() -> None:
    assert len(CASE_ROWS) >= 250
    assert all(len(row) == 4 for row in CASE_ROWS), "every row has 4 tab-separated columns"
    categories = {row[0] for row in CASE_ROWS}
    expected = {
        "cardinal", "two", "decimal", "negative", "ordinal", "year", "date", "time", "range",
        "percent", "fraction", "phone", "code", "money", "unit", "score", "math", "latin", "web",
        "placeholder", "fill", "speech", "markup", "listmark", "traditional",
    }  # fmt: skip
    assert expected <= categories


@pytest.mark.parametrize(
    ("category", "written", "expected", "note"),
    CASE_ROWS,
    ids=[f"{i:03d}-{row[0]}-{row[1][:16]}" for i, row in enumerate(CASE_ROWS)],
)
def test_case(category: str, written: str, expected: str, note: str) -> None:
    assert _run(written, _fills_of(note)) == expected, note


@pytest.mark.parametrize(
    "expected",
    [row[2] for row in CASE_ROWS if row[0] != "fill"],
    ids=[f"{i:03d}" for i, row in enumerate(CASE_ROWS) if row[0] != "fill"],
)
def test_spoken_forms_are_fixed_points(expected: str) -> None:
    """What the narrator says is already normalized: a second pass changes nothing."""
    assert normalize(expected).spoken == expected


# ---------------------------------------------------------------------------------------------
# Public conventions (WeTextProcessing, NeMo zh, PaddleSpeech, cn2an)

PUBLIC_ROWS = _read_tsv(PUBLIC) if PUBLIC.exists() else []


def test_public_cases_are_present() -> None:
    if not PUBLIC.exists():
        pytest.fail(f"public cases missing: {PUBLIC} (../shared must sit beside the repo)")
    assert len(PUBLIC_ROWS) == 96


@pytest.mark.parametrize(
    ("category", "written", "expected", "source"),
    [
        pytest.param(
            *row,
            marks=pytest.mark.xfail(strict=True, reason=DELIBERATE_DEVIATIONS[row[1]])
            if row[1] in DELIBERATE_DEVIATIONS
            else (),
        )
        for row in PUBLIC_ROWS
    ],
    ids=[f"{i:02d}-{row[0]}-{row[1][:16]}" for i, row in enumerate(PUBLIC_ROWS)],
)
def test_public_case(category: str, written: str, expected: str, source: str) -> None:
    assert normalize(written).spoken == expected, source


def test_public_pass_rate(capsys: pytest.CaptureFixture[str]) -> None:
    failures = {
        row[1]: normalize(row[1]).spoken
        for row in PUBLIC_ROWS
        if normalize(row[1]).spoken != row[2]
    }
    passed = len(PUBLIC_ROWS) - len(failures)
    with capsys.disabled():
        print(f"\npublic zh TN cases: {passed}/{len(PUBLIC_ROWS)} pass")
        for written, spoken in failures.items():
            print(f"  differs on {written!r} → {spoken!r}: {DELIBERATE_DEVIATIONS.get(written)}")
    assert set(failures) <= set(DELIBERATE_DEVIATIONS), "an undeclared difference"
    assert passed / len(PUBLIC_ROWS) >= 0.98


# ---------------------------------------------------------------------------------------------
# Each rule set alone


# One example per rule set: what that set alone makes of it.
RULE_SET_EXAMPLES = [
    ("dates", "2024-01-02", "二零二四年一月二日"),
    ("dates", "3-5", "3-5"),
    ("times", "10:05", "十点零五分"),
    ("times", "78:96", "七十八比九十六"),
    ("phones", "拨打12306", "拨打幺二三零六"),
    ("money", "$1.5万", "一点五万美元"),
    ("percent", "-3%", "负百分之三"),
    ("fractions", "3/4", "四分之三"),
    ("ranges", "3~5个", "三到五个"),
    ("math", "3×4", "三乘四"),
    ("math", "3+4=7", "三加四等于七"),
    ("years", "2020年", "二零二零年"),
    ("month_day", "08月05日", "八月五日"),
    ("ordinals", "第2个", "第二个"),
    ("units", "25kg", "二十五千克"),
    ("cardinals", "2个", "两个"),
    ("placeholders", "XX亿元", "若干亿元"),
    ("web", "见www.gov.cn", "见网址"),
    ("symbols", "±", "正负"),
    ("id_card", "11010519491231002X", "一一零一零五一九四九一二三一零零二叉"),
    ("scores", "中国1-2", "中国一比二"),
    ("codes", "“1255”工作思路", "“一二五五”工作思路"),
    ("list_marks", "①加强学习", "第一，加强学习"),
    ("markup", "■加强学习", "加强学习"),
]


@pytest.mark.parametrize(("rule_set", "written", "expected"), RULE_SET_EXAMPLES)
def test_rule_set_alone(rule_set: str, written: str, expected: str) -> None:
    assert apply_rule_set(rule_set, written) == expected


def test_every_rule_set_is_in_the_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each rule set is applied once by the full normalizer, and needs to be: the pipeline
    without it says one of that set's examples differently."""
    assert len(set(RULE_ORDER)) == len(RULE_ORDER)
    assert set(RULE_ORDER) == set(rule_sets()) == {row[0] for row in RULE_SET_EXAMPLES}
    for name in RULE_ORDER:
        examples = [(w, e) for n, w, e in RULE_SET_EXAMPLES if n == name and w != e]
        assert all(normalize_zh(w).spoken == e for w, e in examples), name
        monkeypatch.setattr(zh, "RULE_ORDER", tuple(n for n in RULE_ORDER if n != name))
        assert any(normalize_zh(w).spoken != e for w, e in examples), f"{name} is never needed"
        monkeypatch.setattr(zh, "RULE_ORDER", RULE_ORDER)


# ---------------------------------------------------------------------------------------------
# Placeholder hits


def test_placeholder_hits_report_span_reading_and_kind() -> None:
    text = "20xx年，全区安排教育投入XX亿元，约占XX%。XX中学在202x年第XX个"
    result = normalize_zh(text)
    assert (
        result.spoken
        == "某年，全区安排教育投入若干亿元，约占百分之若干。某某中学在二零二几年第某个"
    )
    assert [(h.text, h.spoken, h.kind, h.filled) for h in result.placeholders] == [
        ("20xx年", "某年", "year", False),
        ("XX亿元", "若干亿元", "quantity", False),
        ("XX%", "百分之若干", "percent", False),
        ("XX中学", "某某中学", "name", False),
        ("202x年", "二零二几年", "year_decade", False),
        ("第XX", "第某", "ordinal", False),
    ]
    for hit in result.placeholders:
        assert text[hit.start : hit.end] == hit.text


def test_offsets_survive_full_width_input() -> None:
    text = "约占ＸＸ％，上线xx人"
    result = normalize_zh(text)
    assert result.spoken == "约占百分之若干，上线若干人"
    assert [text[h.start : h.end] for h in result.placeholders] == ["ＸＸ％", "xx人"]


def test_latin_x_words_are_not_placeholders() -> None:
    result = normalize_zh("Xbox和SpaceX拍了X光片")
    assert result.spoken == "Xbox和SpaceX拍了X光片"
    assert result.placeholders == ()


def test_no_placeholders_in_plain_text() -> None:
    assert normalize_zh("谢谢大家！").placeholders == ()


# ---------------------------------------------------------------------------------------------
# Fill-ins


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fills.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_fills_reads_strings_and_lists(tmp_path: Path) -> None:
    fills = load_fills(
        _write(
            tmp_path,
            '"20xx年" = "2024年"\n"XX中学" = "石家庄市第一中学"\n"XX人" = ["520人", "30人"]\n',
        )
    )
    assert fills.keys() == ["20xx年", "XX中学", "XX人"]
    texts = ["20xx年高考上线XX人，比去年增加XX人，", "XX中学连续十年"]
    results = normalize_all(texts, fills=fills)
    assert [r.spoken for r in results] == [
        "二零二四年高考上线五百二十人，比去年增加三十人，",
        "石家庄市第一中学连续十年",
    ]
    hits = [h for r in results for h in r.placeholders]
    assert all(h.filled for h in hits)
    assert [(h.text, h.spoken, h.kind) for h in hits] == [
        ("20xx年", "二零二四年", "year"),
        ("XX人", "五百二十人", "quantity"),
        ("XX人", "三十人", "quantity"),
        ("XX中学", "石家庄市第一中学", "name"),
    ]


def test_positions_count_across_the_document_and_a_short_list_falls_back() -> None:
    fills = FillMap.from_mapping({"XX人": ["520人"]})
    results = normalize_all(["上线XX人", "增加XX人"], fills=fills)
    assert [r.spoken for r in results] == ["上线五百二十人", "增加若干人"]
    assert [h.filled for r in results for h in r.placeholders] == [True, False]


def test_separate_calls_start_counting_afresh() -> None:
    fills = FillMap.from_mapping({"XX人": ["520人", "30人"]})
    assert normalize_zh("XX人", fills=fills).spoken == "五百二十人"
    assert normalize_zh("XX人", fills=fills).spoken == "五百二十人"


def test_normalize_accepts_a_plain_mapping() -> None:
    assert normalize("XX中学", fills={"XX中学": "一中"}).spoken == "一中"


def test_unused_and_surplus_keys_are_reportable() -> None:
    fills = FillMap.from_mapping({"XX人": ["1人", "2人", "3人"], "XX中学": "一中", "YY": "z"})
    texts = ["上线XX人", "增加XX人", "XX中学"]
    assert fills.unused(texts) == ["YY"]
    assert fills.surplus(texts) == {"XX人": 1}
    assert fills.usage(texts) == {"XX人": 2, "XX中学": 1, "YY": 0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('"XX人" = \n', "not valid TOML"),
        ('"XX人" = 5\n', "must be a string or a list of strings"),
        ('"XX人" = ["5人", 6]\n', "must be a string or a list of strings"),
        ('[section]\n"XX" = "a"\n', "must be a string or a list of strings"),
        ('"" = "a"\n', "empty placeholder key"),
    ],
)
def test_malformed_fills_raise_one_clear_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_fills(_write(tmp_path, content))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_or_binary_fills_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="fills file not found"):
        load_fills(tmp_path / "nope.toml")
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_fills(path)


def test_a_fill_value_is_at_most_100_characters(tmp_path: Path) -> None:
    FillMap.from_mapping({"XX中学": "甲" * 100, "XX人": ["1人", "乙" * 100]})
    too_long = "甲" * 101
    with pytest.raises(SettingsError) as caught:
        load_fills(_write(tmp_path, f'"XX中学" = "一中"\n"XX人" = ["5人", "{too_long}"]\n'))
    message = str(caught.value)
    assert "the value of 'XX人' is 101 characters long; a fill-in is at most 100" in message
    assert "\n" not in message


# ---------------------------------------------------------------------------------------------
# Other languages and the API shape


def test_other_languages_pass_through() -> None:
    assert normalize_all(["Hello 2 X"], language="en-US") == [Normalized("Hello 2 X", "Hello 2 X")]
    assert normalize("Hello 2 X", language="en") == Normalized("Hello 2 X", "Hello 2 X")


def test_result_types() -> None:
    result = normalize("XX人")
    assert isinstance(result, Normalized)
    assert isinstance(result.placeholders[0], PlaceholderHit)
    assert result.original == "XX人"


# ---------------------------------------------------------------------------------------------
# The reference speech, end to end


def _paragraphs() -> list[str]:
    if not SPEECH.exists():
        pytest.fail(f"reference input missing: {SPEECH}")
    return [
        line.strip() for line in SPEECH.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def test_reference_speech_reads_correctly() -> None:
    paragraphs = _paragraphs()
    results = normalize_all(paragraphs)
    # Every change the normalizer should make, paragraph by paragraph (all else unchanged).
    changes = {
        "202x年": "二零二几年",
        "第36个": "第三十六个",
        "36万人民": "三十六万人民",
        "XX教育": "某某教育",
        "3位代表": "三位代表",
        "20xx年": "某年",
        "XX亿元": "若干亿元",
        "XX%": "百分之若干",
        "XX人": "若干人",
        "14人": "十四人",
        "XX中学": "某某中学",
        "文章地址:http://www.sanweiyuan.com/news/64677.html": "文章地址",
    }
    for paragraph, result in zip(paragraphs, results, strict=True):
        expected = paragraph
        for written, spoken in changes.items():
            expected = expected.replace(written, spoken)
        assert result.spoken == expected
        assert not re.search(r"[0-9XxＸ×]", result.spoken)
    hits = [h.text for r in results for h in r.placeholders]
    assert hits == [
        "202x年", "XX教育", "20xx年", "XX亿元", "XX%", "20xx年", "XX人", "XX人", "XX人",
        "XX中学", "202x年",
    ]  # fmt: skip
