"""The narrator's lexicon: files → entries, one-line errors, matching, and what the plan says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tts_pipeline.engines.base import Pronunciation
from tts_pipeline.engines.local_zh.frontend.g2p import segment
from tts_pipeline.engines.local_zh.frontend.occurrences import find_occurrences
from tts_pipeline.errors import SettingsError
from tts_pipeline.text.document import parse
from tts_pipeline.text.lexicon import (
    LexiconEntry,
    load_lexicon,
    load_lexicons,
    user_lexicon_path,
)
from tts_pipeline.text.respell import Respelling, lexicon_warnings
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.voices import load_profile


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_of_every_form(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "names.toml",
        '"GTP" = "GDP"\n'
        '"单县" = { pinyin = "shan4 xian4", spoken = "善县" }\n'
        '"单" = { pinyin = "Shan4", whole_word = true }\n'
        '"绿" = { pinyin = "lü4" }\n'
        '"AI" = { spoken = "人工智能", engines = ["edge"], whole_word = false }\n',
    )
    entries = {e.text: e for e in load_lexicon(path).entries}
    assert entries["GTP"] == LexiconEntry("GTP", "GDP", None, True, None, "names.toml")
    assert entries["单县"].pinyin == ("shan4", "xian4") and entries["单县"].spoken == "善县"
    assert not entries["单县"].whole_word  # Chinese keys match anywhere unless asked
    assert entries["单"].whole_word and entries["单"].pinyin == ("shan4",)
    assert entries["绿"].pinyin == ("lü4",)
    assert entries["AI"].engines == ("edge",) and not entries["AI"].whole_word
    assert entries["AI"].applies_to("edge") and not entries["AI"].applies_to("local-zh")


def test_later_files_win_and_the_user_lexicon_comes_first(
    tmp_path: Path, isolated_lexicon: Path
) -> None:
    isolated_lexicon.write_text('"GTP" = "GDP"\n"区四大班子" = "区四套班子"\n', encoding="utf-8")
    first = write(tmp_path, "a.toml", '"GTP" = "国内生产总值"\n')
    second = write(tmp_path, "b.toml", '"GTP" = "G D P"\n"单县" = { pinyin = "shan4 xian4" }\n')
    lexicon = load_lexicons([first, second])
    spoken = {e.text: e.spoken for e in lexicon.entries}
    assert spoken == {"GTP": "G D P", "区四大班子": "区四套班子", "单县": None}
    assert lexicon.sources == (isolated_lexicon, first, second)
    assert load_lexicons([first], user=False).sources == (first,)


def test_user_lexicon_path_lives_with_the_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTS_PIPELINE_LEXICON")
    path = user_lexicon_path()
    assert path.name == "lexicon.toml" and path.parent.name == "tts-pipeline"
    monkeypatch.setenv("TTS_PIPELINE_LEXICON", "/elsewhere/words.toml")
    assert user_lexicon_path() == Path("/elsewhere/words.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"GTP" "GDP"\n', r"bad\.toml is not valid TOML: .*line 1.*: \"GTP\" \"GDP\""),
        ('"" = "x"\n', r"bad\.toml: an entry has an empty written form"),
        ('"  " = "x"\n', r"bad\.toml: an entry has an empty written form"),
        ('"单县" = { pinyin = "shan9 xian4" }\n', r"entry '单县': 'shan9' is not a pinyin"),
        ('"单县" = { pinyin = "shan xian4" }\n', r"entry '单县': 'shan' is not a pinyin"),
        ('"单县" = { pinyin = "shen4 xqan4" }\n', r"entry '单县': 'xqan4' is not a pinyin"),
        ('"单县" = { pinyin = "shan4" }\n', r"entry '单县': 2 character\(s\) but 1 pinyin"),
        ('"单县" = { pinyin = "" }\n', r"entry '单县': pinyin must be text"),
        ('"GTP" = { pinyin = "ji4 ti4 pi4" }\n', r"entry 'GTP': pinyin needs .* Chinese"),
        ('"单县" = { pinying = "shan4 xian4" }\n', r"entry '单县': unknown setting 'pinying'"),
        ('"单县" = { whole_word = true }\n', r"entry '单县': give spoken text, pinyin, or both"),
        ('"AI" = { spoken = "人工智能", engines = ["edgy"] }\n', r"unknown engine 'edgy'"),
        ('"AI" = { spoken = 3 }\n', r"entry 'AI': spoken must be text"),
        ('"AI" = 3\n', r"entry 'AI': the value must be the spoken text or a table"),
        ('"单" = { pinyin = "shan4", whole_word = "yes" }\n', r"whole_word must be true or"),
        (f'"GTP" = "{"国" * 101}"\n', r"entry 'GTP': the spoken text is 101 characters long"),
        (f'"单县" = {{ spoken = "{"善" * 101}" }}\n', r"'单县': the spoken text is 101 characters"),
    ],
)
def test_a_malformed_lexicon_is_one_line_naming_the_file_and_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(SettingsError) as caught:
        load_lexicon(path)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"lexicon file {path}")
    assert re.search(message, line), line


def test_an_unreadable_lexicon_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^lexicon file not found: .*nope\.toml$"):
        load_lexicons([tmp_path / "nope.toml"])
    with pytest.raises(SettingsError, match=r"^lexicon file .* is a directory, not a file$"):
        load_lexicons([tmp_path])
    path = tmp_path / "gbk.toml"
    path.write_bytes('"单县" = "善县"\n'.encode("gbk"))
    with pytest.raises(SettingsError, match=r"gbk\.toml is not UTF-8 text"):
        load_lexicon(path)


def entry(text: str, whole_word: bool = False) -> LexiconEntry:
    return LexiconEntry(text, spoken="x", whole_word=whole_word)


def test_latin_forms_match_whole_words_only() -> None:
    found = find_occurrences("AI和MAIL都用AI，AI2不算", [entry("AI", whole_word=True)], segment)
    assert [(f.start, f.end) for f in found] == [(0, 2), (9, 11)]


def test_longest_form_wins_and_matches_never_overlap() -> None:
    found = find_occurrences(
        "四大班子和区四大班子", [entry("四大班子"), entry("区四大班子")], segment
    )
    assert [(f.item.text, f.start) for f in found] == [("四大班子", 0), ("区四大班子", 5)]


def test_a_whole_word_chinese_form_needs_word_boundaries() -> None:
    surname = Pronunciation("单", ("shan4",), whole_word=True)
    assert [f.start for f in find_occurrences("单书记说这很简单", [surname], segment)] == [0]
    anywhere = Pronunciation("单", ("shan4",))
    assert len(find_occurrences("单书记说这很简单", [anywhere], segment)) == 2


# --- in the plan ------------------------------------------------------------------------------

SPEECH = "讲话\n\n同志们：\n\n本届大会在单县召开，GTP增长较快。\n\n单县的MAIL和GTP。\n"


def plan_with(tmp_path: Path, lexicon_text: str, voice: str | None = None) -> Plan:
    lexicon = load_lexicons([write(tmp_path, "lex.toml", lexicon_text)])
    respelling = Respelling.for_engine(load_profile(voice).engine, lexicon)
    return build_plan(parse(SPEECH), respelling=respelling)


def test_replacements_apply_before_normalization(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, '"本届" = "第3届"\n"GTP" = "GDP"\n"AI" = "人工智能"\n')
    spoken = [u.spoken for u in plan.utterances]
    assert "第三届大会在单县召开，GDP增长较快。" in spoken  # 3 normalized after replacing
    assert "单县的MAIL和GDP。" in spoken  # AI is not matched inside MAIL
    assert [(h.text, h.spoken, h.utterance) for h in plan.lexicon] == [
        ("本届", "第3届", "c01-p002"),
        ("GTP", "GDP", "c01-p002"),
        ("GTP", "GDP", "c01-p003"),
    ]


def test_pinyin_goes_to_the_offline_voice_and_only_where_it_occurs(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, '"单县" = { pinyin = "shan4 xian4", spoken = "善县" }\n')
    reading = Pronunciation("单县", ("shan4", "xian4"))
    assert [u.pronunciations for u in plan.utterances] == [(), (), (reading,), (reading,)]
    assert "单县召开" in plan.utterances[2].spoken  # the text is unchanged: the voice reads it
    assert [(h.spoken, h.kind) for h in plan.lexicon] == [("shan4 xian4", "pinyin")] * 2
    assert lexicon_warnings("local-zh", plan.lexicon) == ()


def test_an_engine_without_phonemes_says_the_homophone_or_warns(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, '"单县" = { pinyin = "shan4 xian4", spoken = "善县" }\n', "yunyang")
    assert "本届大会在善县召开" in plan.utterances[2].spoken
    assert all(u.pronunciations == () for u in plan.utterances)
    assert lexicon_warnings("edge", plan.lexicon) == ()
    plan = plan_with(tmp_path, '"单县" = { pinyin = "shan4 xian4" }\n', "yunyang")
    assert "在单县召开" in plan.utterances[2].spoken
    assert lexicon_warnings("edge", plan.lexicon) == (
        "the edge engine cannot take pinyin: '单县' (c01-p002, c01-p003) is read as written; "
        'give the lexicon entry a spoken homophone, e.g. "单县" = { pinyin = "…", spoken = "…" }',
    )
    assert [h.kind for h in plan.lexicon] == ["unsupported", "unsupported"]


def test_engines_scope_an_entry(tmp_path: Path) -> None:
    text = '"GTP" = { spoken = "GDP", engines = ["edge"] }\n'
    assert "GTP" in plan_with(tmp_path, text).utterances[2].spoken
    assert "GDP" in plan_with(tmp_path, text, "yunyang").utterances[2].spoken


def test_plan_json_keeps_its_fields_and_adds_lexicon_and_typos(tmp_path: Path) -> None:
    data = plan_with(tmp_path, '"GTP" = "GDP"\n').to_json()
    assert list(data) == [
        "title", "chapters", "removed", "placeholders", "unspeakable", "lexicon", "typos"
    ]  # fmt: skip
    assert list(data["chapters"][0]["utterances"][0]) == ["id", "text", "spoken", "pause_after"]
    assert data["lexicon"][0] == {"text": "GTP", "spoken": "GDP", "utterance": "c01-p002"}
    assert data["typos"] == []


def test_preview_respells_its_sample_too(tmp_path: Path) -> None:
    from tts_pipeline.preview import preview_plan

    lexicon = load_lexicons([write(tmp_path, "lex.toml", READING_AND_REPLACEMENT)])
    respelling = Respelling.for_engine("local-zh", lexicon, fix_typos=True)
    plan = preview_plan("单县的GTP隆庆祝", load_profile(None), respelling=respelling)
    (utterance,) = plan.utterances
    assert utterance.spoken == "单县的GDP隆重庆祝"
    assert utterance.pronunciations == (Pronunciation("单县", ("shan4", "xian4")),)


READING_AND_REPLACEMENT = '"单县" = { pinyin = "shan4 xian4" }\n"GTP" = "GDP"\n'


def test_a_replacement_that_outgrows_the_utterance_is_split_after_it(tmp_path: Path) -> None:
    # Three sentences of 9-10 characters become about 110 spoken characters each: more than
    # one utterance says (300), so the paragraph is respelled again sentence by sentence and
    # packed again (the first two together); the hits and the typo go with their pieces.
    name = "石家庄市第一中学" * 12 + "附属小学"  # 100 characters, the longest allowed
    lexicon = load_lexicons([write(tmp_path, "lex.toml", f'"一中" = "{name}"\n')])
    text = "一中的老师们辛苦了。隆庆祝一中校庆。祝一中越办越好。"
    plan = build_plan(
        parse(f"讲话\n{text}\n"), respelling=Respelling.for_engine("local-zh", lexicon)
    )
    pieces = [u for u in plan.utterances if u.id.startswith("c01-p001")]
    assert [u.text for u in pieces] == ["一中的老师们辛苦了。隆庆祝一中校庆。", "祝一中越办越好。"]
    assert [u.id for u in pieces] == ["c01-p001-s1", "c01-p001-s2"]
    assert max(len(u.spoken) for u in plan.utterances) <= 300
    assert [u.spoken.count(name) for u in pieces] == [2, 1]
    assert [(h.text, h.utterance) for h in plan.lexicon] == [
        ("一中", "c01-p001-s1"),
        ("一中", "c01-p001-s1"),
        ("一中", "c01-p001-s2"),
    ]
    assert [(t.text, t.utterance) for t in plan.typos] == [("隆庆祝", "c01-p001-s1")]
