"""Subtitles: cue splitting, spoken→written alignment, and cue times checked against the audio
(each sentence is its own tone burst, so its true start is known)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.audio_tools import SR, click, decode, silence, tone, voiced_regions
from tts_pipeline.audio.timeline import ChapterMark, Placement, Timeline
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.outputs.programme import ProgrammeOptions, produce
from tts_pipeline.outputs.sidecars import Sidecars, write_sidecars
from tts_pipeline.outputs.subtitles import (
    CUE_MAX_CHARS,
    WEIGHT_SENTENCE_PAUSE,
    Cue,
    align,
    build_cues,
    cue_spans,
    text_width,
    to_srt,
    to_vtt,
)
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.text.segment import Plan, PlanChapter, Utterance
from tts_pipeline.voices import load_profile

PARAGRAPH = (
    "今天，我们在这里隆重庆祝第36个教师节。这次大会，分三个层面进行颁奖，就是要树立加快建设"
    "教育大区、教育强区、教育名区的鲜明导向。向受到表彰的先进集体和先进个人表示热烈的祝贺！"
)


def split_cue_texts(text: str, max_chars: float = CUE_MAX_CHARS) -> list[str]:
    return [text[s:e] for s, e in cue_spans(text, max_chars)]


def test_cues_are_sentences_and_long_ones_split_at_commas() -> None:
    cues = split_cue_texts(PARAGRAPH)
    assert "".join(cues) == PARAGRAPH
    assert cues[0] == "今天，我们在这里隆重庆祝第36个教师节。"
    assert cues[1] == "这次大会，分三个层面进行颁奖，"  # a long sentence split at ，
    assert all(text_width(c) <= CUE_MAX_CHARS for c in cues)
    assert cues[-1] == "向受到表彰的先进集体和先进个人表示热烈的祝贺！"


def test_closing_quotes_and_stray_marks_stay_with_their_sentence() -> None:
    assert split_cue_texts("他说：“好。”我们走吧！！") == ["他说：“好。”", "我们走吧！！"]
    assert split_cue_texts("First one. Second one! Third") == ["First one.", "Second one!", "Third"]
    assert split_cue_texts("很好。……") == ["很好。……"]
    # A clause with no comma longer than the limit is cut at the limit.
    long = "甲" * 60 + "。"
    assert [len(c) for c in split_cue_texts(long)] == [24, 24, 13]


def test_alignment_maps_written_to_spoken_positions() -> None:
    written, spoken = "第36个教师节。投入XX亿元。", "第三十六个教师节。投入若干亿元。"
    mapping = align(written, spoken)
    assert spoken[mapping[written.index("个")] :].startswith("个教师节")
    assert spoken[mapping[written.index("投")] :].startswith("投入若干")
    assert mapping[len(written)] == len(spoken)


# ---------------------------------------------------------------------------------------------
# Cue times against the audio


def _plan(*utterances: tuple[str, str]) -> Plan:
    us = tuple(
        Utterance(f"c01-p{i + 1:03d}", text, spoken, 0.8, 0, i)
        for i, (text, spoken) in enumerate(utterances)
    )
    return Plan("Test", "zh-CN", (PlanChapter("开场白", "opening", us),))


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？])", text) if s]


def _render(tmp_path: Path, plan: Plan, takes: list[Take]) -> tuple[list[Cue], Timeline, Path]:
    flac = tmp_path / "talk.flac"
    programme = produce(plan, takes.__getitem__, {"flac": flac}, Tags("Test"), ProgrammeOptions())
    return build_cues(plan, programme.timeline, programme.boundaries), programme.timeline, flac


def _bursts_with_boundaries(spoken: str, durations: list[float], lead: float) -> Take:
    """Each sentence one tone burst; the engine reports where each sentence is (like edge-tts
    SentenceBoundary), in seconds from the start of the untrimmed take."""
    parts = [silence(0.1), click(0.7), silence(lead - 0.1 - 0.001)]
    boundaries = []
    t = lead
    for n, (sentence, seconds) in enumerate(zip(_sentences(spoken), durations, strict=True)):
        parts.append(tone(seconds, 200 + 40 * n, 0.3))
        boundaries.append(Boundary(sentence.rstrip("。！？"), t, t + seconds))
        parts.append(silence(0.35))
        t += seconds + 0.35
    parts.append(silence(0.6))
    return Take(np.concatenate(parts), SR, "synthetic", "tone", tuple(boundaries))


def _starts(audio_path: Path) -> list[float]:
    return [a for a, _ in voiced_regions(decode(audio_path), SR, min_gap=0.1)]


def test_cues_start_with_their_sentence_using_engine_boundaries(tmp_path: Path) -> None:
    # Durations deliberately unlike the character counts: only the boundaries can place them.
    a = ("第一句话很短。第二句话比第一句话长得多得多。第三句。", [1.6, 0.5, 1.2], 0.7)
    b = ("第36个教师节。祝贺大家！", [0.6, 1.4], 0.45)
    plan = _plan((a[0], a[0]), (b[0], b[0].replace("36", "三十六")))
    takes = [_bursts_with_boundaries(u.spoken, d, lead) for u, (_, d, lead) in
             zip(plan.utterances, (a, b), strict=True)]  # fmt: skip
    cues, timeline, audio = _render(tmp_path, plan, takes)
    assert [c.text for c in cues] == _sentences(a[0]) + _sentences(b[0])  # the written text
    truth = _starts(audio)
    assert len(truth) == len(cues)
    errors = [abs(timeline.seconds(c.start) - t) for c, t in zip(cues, truth, strict=True)]
    assert max(errors) <= 0.050, errors
    # Each cue ends when its sentence's sound ends, before the next one begins.
    ends = [b for _, b in voiced_regions(decode(audio), SR, min_gap=0.1)]
    assert max(abs(timeline.seconds(c.end) - e) for c, e in zip(cues, ends, strict=True)) <= 0.05


SECONDS_PER_CHAR = 0.12


def _proportional_take(spoken: str) -> Take:
    """Sentences spoken at a steady rate with a sentence pause: what the estimate assumes."""
    parts = [silence(0.3)]
    for sentence in _sentences(spoken):
        syllables = sum(ch.isalnum() for ch in sentence)
        parts.append(tone(syllables * SECONDS_PER_CHAR, 220, 0.3))
        parts.append(silence(WEIGHT_SENTENCE_PAUSE * SECONDS_PER_CHAR))
    parts.append(silence(0.5))
    return Take(np.concatenate(parts), SR, "synthetic", "tone")


def test_cues_without_boundaries_follow_the_spoken_text(tmp_path: Path) -> None:
    """No boundaries: time is shared by the SPOKEN characters, so a sentence whose number
    becomes many spoken syllables gets the time it really takes."""
    written = "投入XX亿元。增长12.5%。第36个节日。好。"
    spoken = "投入若干亿元。增长百分之十二点五。第三十六个节日。好。"
    plan = _plan((written, spoken))
    cues, timeline, audio = _render(tmp_path, plan, [_proportional_take(spoken)])
    assert [c.text for c in cues] == _sentences(written)
    truth = _starts(audio)
    errors = [abs(timeline.seconds(c.start) - t) for c, t in zip(cues, truth, strict=True)]
    assert max(errors) <= 0.050, errors


def test_unfound_boundaries_fall_back_to_the_estimate() -> None:
    plan = _plan(("一二三。四五六。", "一二三。四五六。"))
    p = Placement("c01-p001", 0, 0, 24_000, 0, voice_start=0, voice_end=24_000)
    timeline = Timeline(SR, (p,), (ChapterMark("开场白", 0, 24_000),), 24_000)
    nonsense = {"c01-p001": (Boundary("不存在", 5.0, 9.0), Boundary("", 0.1, 0.2))}
    cues = build_cues(plan, timeline, nonsense)
    assert [c.text for c in cues] == ["一二三。", "四五六。"]
    assert 0 < cues[1].start < 24_000 and cues[0].end <= cues[1].start


# ---------------------------------------------------------------------------------------------
# Files


def _timeline() -> Timeline:
    p = Placement("u", 0, 0, 48_000, 0, voice_start=0, voice_end=48_000)
    return Timeline(SR, (p,), (ChapterMark("x", 0, 48_000),), 48_000)


def test_srt_and_vtt_files() -> None:
    timeline = _timeline()
    cues = [Cue(0, 12_000, "A --> B & <i>C</i>", "u"), Cue(12_012, 3_601 * SR, "第二句。", "u")]
    srt = to_srt(cues, timeline)
    assert srt.splitlines()[:3] == ["1", "00:00:00,000 --> 00:00:00,500", "A --> B & <i>C</i>"]
    assert "2\n00:00:00,501 --> 01:00:01,000\n第二句。\n" in srt
    vtt = to_vtt(cues, timeline)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.500\n")
    payload = vtt.split("\n\n")[1].split("\n", 2)[2]
    assert "-->" not in payload and "<" not in payload
    assert html.unescape(payload) == "A --> B & <i>C</i>"


def test_manifest_lists_the_cues(tmp_path: Path) -> None:
    """The manifest's cues are the subtitles' cues: the same texts at the same times, each
    with the utterance it belongs to."""
    plan = _plan((PARAGRAPH, PARAGRAPH))
    take = _proportional_take(PARAGRAPH)
    tags = Tags("T")
    programme = produce(plan, lambda i: take, {"wav": tmp_path / "t.wav"}, tags, ProgrammeOptions())
    outputs, _ = write_sidecars(
        OutputLayout(tmp_path, "t"),
        plan,
        programme,
        tags,
        Sidecars(subtitles=True, page=False),
        source="t.txt",
        voice=load_profile(None),
    )
    listed = json.loads(outputs["manifest"].read_text("utf-8"))["cues"]
    srt = outputs["srt"].read_text("utf-8")
    shown = re.findall(
        r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.*)\n", srt
    )
    assert [c["text"] for c in listed] == split_cue_texts(PARAGRAPH)
    assert len(shown) == len(listed)

    def seconds(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    for n, (cue, row) in enumerate(zip(listed, shown, strict=True)):
        assert cue["index"] == n == int(row[0]) - 1
        assert (cue["start"], cue["end"], cue["text"]) == (
            pytest.approx(seconds(*row[1:5])),
            pytest.approx(seconds(*row[5:9])),
            row[9],
        )
    assert {c["utterance"] for c in listed} == {plan.utterances[0].id}
    chapters = json.loads(outputs["chapters_json"].read_text("utf-8"))
    assert chapters["chapters"][0] == {"startTime": 0.0, "endTime": programme.timeline.ms(
        programme.timeline.total) / 1000, "title": "开场白"}  # fmt: skip
    starts = [c["start"] for c in listed]
    assert starts == sorted(starts)


@pytest.mark.parametrize("limit", [10, 24, 40])
def test_every_cue_respects_the_limit(limit: int) -> None:
    assert all(text_width(c) <= limit for c in split_cue_texts(PARAGRAPH * 3, limit))
