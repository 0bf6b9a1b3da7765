"""Proof-listening's pure parts: folding, alignment, CER, the flagging rule; and the packaged
recogniser model (located, assembled, checked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.check_tools import require_check_extra
from tts_pipeline import scratch
from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.check import asr_model
from tts_pipeline.outputs.check.report import FlagRule, UtteranceCheck, build_report
from tts_pipeline.outputs.check.scoring import Difference, align, cer, fold_text

# ---------------------------------------------------------------------------------------------
# Folding


def test_fold_drops_punctuation_and_spaces_and_reads_numbers() -> None:
    assert fold_text("今天，我们召开第3次会议！ 增长12.5%。", "zh-CN") == (
        "今天我们召开第三次会议增长百分之十二点五"
    )
    # The recogniser writes years and counts in digits; our normalizer's words come out.
    assert fold_text("2024年，14人", "zh-CN") == "二零二四年十四人"
    assert fold_text("ＡＩ与Ｗｉ－Ｆｉ", "zh-CN") == "ai与wifi"


def test_fold_is_idempotent_on_spoken_text() -> None:
    spoken = "某区委书记在全区二零二几年教育工作大会上的讲话，百分之若干。"
    once = fold_text(spoken, "zh-CN")
    assert fold_text(once, "zh-CN") == once
    assert once == "某区委书记在全区二零二几年教育工作大会上的讲话百分之若干"


def test_fold_leaves_other_languages_unnormalized() -> None:
    assert fold_text("Hello, World: 3 cats!", "en-US") == "helloworld3cats"


def test_fold_traditional_to_simplified() -> None:
    assert fold_text("這個會議，發展經濟。", "zh-CN") == "这个会议发展经济"


# ---------------------------------------------------------------------------------------------
# Alignment and CER


def test_align_reports_merged_differences_at_their_positions() -> None:
    result = align("教育是国之大计党之大计", "教育是国之大技党之大技")
    assert result.errors == 2
    assert result.differences == (Difference(6, "计", "技"), Difference(10, "计", "技"))

    result = align("坚定不移地推进", "坚定不疑的推进")
    assert result.errors == 2
    assert result.differences == (Difference(3, "移地", "疑的"),)


def test_align_insertions_and_deletions() -> None:
    assert align("谢谢大家", "").errors == 4
    assert align("谢谢大家", "").differences == (Difference(0, "谢谢大家", ""),)
    assert align("", "字幕").differences == (Difference(0, "", "字幕"),)
    gap = align("同志们好", "同志好")
    assert gap.errors == 1 and gap.differences == (Difference(2, "们", ""),)
    extra = align("同志们好", "同志们你好")
    assert extra.errors == 1 and extra.differences == (Difference(3, "", "你"),)


def test_cer() -> None:
    assert cer(2, 10) == 0.2
    assert cer(0, 0) == 0.0
    assert cer(3, 0) == 1.0


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j - 1] + (x != y), previous[j] + 1, current[j - 1] + 1))
        previous = current
    return previous[-1]


def _apply(expected: str, differences: tuple[Difference, ...]) -> str:
    out, cursor = [], 0
    for d in differences:
        out.append(expected[cursor : d.position])
        assert expected[d.position : d.position + len(d.expected)] == d.expected
        out.append(d.heard)
        cursor = d.position + len(d.expected)
    return "".join(out) + expected[cursor:]


@settings(max_examples=300, deadline=None)
@given(st.text("教育大计技区", max_size=14), st.text("教育大计技区", max_size=14))
def test_alignment_is_an_edit_distance_and_its_differences_rebuild_the_transcript(
    expected: str, heard: str
) -> None:
    result = align(expected, heard)
    assert result.errors == _levenshtein(expected, heard)
    assert _apply(expected, result.differences) == heard
    # Differences never touch: two adjacent ones would have been merged.
    ends = [d.position + len(d.expected) for d in result.differences]
    starts = [d.position for d in result.differences]
    assert all(end < start for end, start in zip(ends, starts[1:], strict=False))
    assert sum(max(len(d.expected), len(d.heard)) for d in result.differences) >= result.errors


# ---------------------------------------------------------------------------------------------
# Flagging


def _check(uid: str, cer_value: float, expected: str = "一二三四五六七八九十") -> UtteranceCheck:
    errors = round(cer_value * len(expected))
    return UtteranceCheck(uid, 0.0, 1.0, expected, expected, "", "", errors, cer_value, ())


def test_flag_rule_threshold() -> None:
    rule = FlagRule()
    assert rule.threshold(0.0) == 0.3
    assert rule.threshold(0.05) == 0.3
    assert rule.threshold(0.2) == pytest.approx(0.6)


def test_report_flags_only_utterances_far_worse_than_the_median_worst_first() -> None:
    checks = [_check("a", 0.1), _check("b", 0.2), _check("c", 0.9), _check("d", 0.1)]
    report = build_report(checks)
    assert report.median_cer == pytest.approx(0.15)
    assert report.threshold == pytest.approx(0.45)
    assert [u.id for u in report.utterances] == ["c", "b", "a", "d"]  # ties keep their order
    assert [u.id for u in report.flagged] == ["c"]
    assert report.cer == pytest.approx(13 / 40)
    data = report.to_json()
    assert data["flagged"] == ["c"] and data["characters"] == 40 and data["errors"] == 13


def test_a_uniformly_poor_voice_is_not_flagged_everywhere() -> None:
    # espeak-ng's Mandarin: every utterance unintelligible; nothing stands out.
    report = build_report([_check(str(i), 1.0) for i in range(5)])
    assert report.threshold == 3.0 and report.flagged == ()


def test_utterances_with_nothing_to_say_do_not_count() -> None:
    report = build_report([_check("a", 0.1), _check("b", 0.0, expected=""), _check("c", 0.1)])
    assert report.median_cer == pytest.approx(0.1)
    assert report.flagged == ()


# ---------------------------------------------------------------------------------------------
# The packaged model


def test_a_missing_model_package_says_how_to_install_the_extra() -> None:
    with pytest.raises(asr_model.CheckUnavailable) as info:
        asr_model.locate("no-such-whisper-model-package", "data/model.bin")
    assert "pip install 'tts-pipeline[check]'" in str(info.value)
    assert "uv sync --group quality" in str(info.value)
    assert info.value.exit_code == 2


def test_choose_model(tmp_path: Path) -> None:
    assert asr_model.choose_model("small") == asr_model.ModelChoice("small", False, "small")
    with pytest.raises(PipelineError, match="no model folder"):
        asr_model.choose_model(str(tmp_path / "missing" / "model"))
    with pytest.raises(PipelineError, match="not a CTranslate2 model folder"):
        asr_model.choose_model(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"x")
    assert asr_model.choose_model(str(tmp_path)).local


def test_packaged_model_is_assembled_once_checked_and_repaired(tmp_path: Path) -> None:
    require_check_extra()
    root = tmp_path / "models" / "whisper"
    # A killed assembly's half-made folder (its process is gone), and a running one's.
    killed = root.parent / f".whisper.{_finished_pid()}-1.abc123{scratch.PART_SUFFIX}"
    running = root.parent / f"{scratch.part_prefix('whisper')}def456{scratch.PART_SUFFIX}"
    for folder in (killed, running):
        folder.mkdir(parents=True)
        (folder / "model.bin").write_bytes(b"half")
    assert asr_model.packaged_model(root) == root
    names = sorted(p.name for p in root.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    # No temporary of this run left, the killed run's removed, the running one's kept.
    assert sorted(p.name for p in root.parent.iterdir()) == sorted([running.name, "whisper"])
    model_bin = root / "model.bin"
    assert asr_model.file_sha256(model_bin) == asr_model.MODEL_FILES[-1].sha256
    stamp = model_bin.stat().st_mtime_ns
    assert asr_model.packaged_model(root) == root
    assert model_bin.stat().st_mtime_ns == stamp  # used as it is, not made again

    # A damaged copy (same size, one byte changed) is noticed and made again.
    with model_bin.open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert asr_model.packaged_model(root) == root
    assert asr_model.file_sha256(model_bin) == asr_model.MODEL_FILES[-1].sha256


def _finished_pid() -> int:
    """The process id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_packaged_files_that_do_not_match_their_digest_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_check_extra()
    wrong = asr_model.PackagedFile(
        "config.json", asr_model.MODEL_FILES[0].parts, asr_model.MODEL_FILES[0].size, "0" * 64
    )
    monkeypatch.setattr(asr_model, "MODEL_FILES", (wrong, *asr_model.MODEL_FILES[1:]))
    root = tmp_path / "whisper"
    with pytest.raises(PipelineError, match="does not match its recorded SHA-256"):
        asr_model.packaged_model(root)
    assert os.listdir(tmp_path) == []  # nothing half-made is left
