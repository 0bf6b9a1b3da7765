"""The lexicon and proofreading with the real offline voice: pinyin reaches its front end, and a
re-render synthesizes only the utterances whose spoken text or readings changed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

import tts_pipeline
from tests.cli_tools import cli, run_cli
from tts_pipeline.engines.base import Pronunciation, SynthesisRequest
from tts_pipeline.engines.local_zh.engine import LocalZhEngine
from tts_pipeline.engines.local_zh.frontend import text_to_phonemes
from tts_pipeline.synthesis.keys import take_key
from tts_pipeline.text.lexicon import load_lexicons
from tts_pipeline.voices import load_profile

SPEECH = """在单县教育工作会议上的讲话

同志们：

今天，我们在这里隆庆祝教师节。

单县的教育事业发展很快。

第一，提高认识。大家要统一思想。

第二，狠抓落实。

谢谢大家！
"""
READING = '"单县" = { pinyin = "shan4 xian4", spoken = "善县" }\n'


def files(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "speech.txt"
    source.write_text(SPEECH, encoding="utf-8")
    lexicon = tmp_path / "names.toml"
    lexicon.write_text(READING, encoding="utf-8")
    return source, lexicon


def test_a_pinyin_entry_changes_the_phoneme_sequence(tmp_path: Path) -> None:
    source, lexicon = files(tmp_path)
    plan = tts_pipeline.plan(source, lexicon=load_lexicons([lexicon]))
    touched = [u for u in plan.utterances if u.pronunciations]
    assert [u.id for u in touched] == ["c01-title", "c01-p003"]
    for u in touched:
        plain, read = text_to_phonemes(u.spoken), text_to_phonemes(u.spoken, u.pronunciations)
        assert len(plain) == len(read)
        assert [(a, b) for a, b in zip(plain, read, strict=True) if a != b] == [
            ("d", "sh"),
            ("an1", "an4"),
        ]


def test_the_offline_voice_says_the_reading() -> None:
    reading = Pronunciation("单县", ("shan4", "xian4"))
    requests = [
        SynthesisRequest(0, "单县的教育事业发展很快。"),
        SynthesisRequest(1, "单县的教育事业发展很快。", (reading,)),
        SynthesisRequest(2, "善县的教育事业发展很快。"),  # 善 is shan4: the same phonemes
    ]
    takes = dict(LocalZhEngine().synthesize(requests, load_profile(None)))
    assert not np.array_equal(takes[0].samples, takes[1].samples)
    assert np.array_equal(takes[1].samples, takes[2].samples)


def render(source: Path, out: Path, *extra: str) -> tuple[int, int, list[str]]:
    """(synthesized, reused, warning lines) of a real render with the offline voice."""
    result = run_cli("render", source, "-o", out, "--no-page", "--format", "wav", *extra)
    assert result.returncode == 0, result.stderr
    counts = re.search(r"\((\d+) synthesized, (\d+) reused\)", result.stderr)
    assert counts, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    return int(counts.group(1)), int(counts.group(2)), warnings


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "speech.manifest.json").read_text("utf-8"))
    return data


def test_a_rerender_synthesizes_only_what_the_lexicon_or_a_fix_touches(
    tmp_path: Path, isolated_cache: Path
) -> None:
    source, lexicon = files(tmp_path)
    out, takes = tmp_path / "out", tmp_path / "takes"
    synthesized, reused, warnings = render(source, out, "--cache-dir", str(takes))
    total = synthesized + reused
    assert (synthesized, total) == (7, 7)
    assert warnings == [
        "warning: c01-p002: '隆庆祝' looks like a typo of '隆重庆祝'; --fix-typos says the "
        "suggestion"
    ]
    typo = {"text": "隆庆祝", "suggestion": "隆重庆祝", "utterance": "c01-p002"}
    flagged, fixed = {**typo, "fixed": False}, {**typo, "fixed": True}
    assert (manifest(out)["lexicon"], manifest(out)["typos"]) == ([], [flagged])
    assert manifest(out)["lexicon_files"] == []
    # The word list proofreading asks is kept with the takes, in the folder chosen.
    assert len(list((takes / "segmenter").glob("jieba-words-*"))) == 1
    assert not (isolated_cache / "segmenter").exists()
    # The pinyin entry touches the title and one paragraph: only they are synthesized again.
    again = ("--cache-dir", str(takes), "--lexicon", str(lexicon))
    assert render(source, out, *again)[:2] == (2, total - 2)
    assert render(source, out, *again)[:2] == (0, total)
    # Fixing the typo changes one utterance's spoken text.
    synthesized, reused, warnings = render(source, out, *again, "--fix-typos")
    assert (synthesized, reused) == (1, total - 1)
    assert warnings == ["warning: c01-p002: '隆庆祝' spoken as '隆重庆祝' (--fix-typos)"]
    read = [
        {"text": "单县", "spoken": "shan4 xian4", "utterance": utterance}
        for utterance in ("c01-title", "c01-p003")
    ]
    assert (manifest(out)["lexicon"], manifest(out)["typos"]) == (read, [fixed])
    assert manifest(out)["lexicon_files"] == [lexicon.name]
    said = {u["id"]: u["spoken"] for u in manifest(out)["utterances"]}
    assert said["c01-p002"] == "今天，我们在这里隆重庆祝教师节。"


def test_plan_lists_lexicon_hits_and_typos(tmp_path: Path) -> None:
    source, lexicon = files(tmp_path)
    code, stdout, _ = cli("plan", str(source), "--lexicon", str(lexicon))
    assert code == 0
    assert "  c01-title  单县 → shan4 xian4" in stdout
    assert "  c01-p003  单县 → shan4 xian4" in stdout
    assert "Possible typos (--fix-typos says the suggestions):" in stdout
    assert "  c01-p002  隆庆祝 → 隆重庆祝" in stdout
    code, stdout, _ = cli("plan", str(source), "--voice", "yunyang", "--fix-typos")
    assert "  c01-p002  隆庆祝 → 隆重庆祝" in stdout and "Typos (fixed, --fix-typos):" in stdout
    assert "spoken:  今天，我们在这里隆重庆祝教师节。" in stdout


def test_the_lexicon_command_shows_the_user_lexicon(tmp_path: Path, isolated_lexicon: Path) -> None:
    _, lexicon = files(tmp_path)
    code, stdout, _ = cli("lexicon")
    assert code == 0
    assert f"user lexicon: {isolated_lexicon} (not there yet" in stdout
    assert stdout.strip().endswith("0 entries")
    isolated_lexicon.write_text('"GTP" = "GDP"\n', encoding="utf-8")
    code, stdout, _ = cli("lexicon", "--lexicon", str(lexicon))
    assert code == 0
    assert "  GTP  spoken 'GDP'; whole word  (lexicon.toml)" in stdout
    assert "  单县  pinyin shan4 xian4; spoken '善县'  (names.toml)" in stdout
    assert stdout.strip().endswith("2 entries")


def test_preview_says_its_sample_as_a_render_would(tmp_path: Path, isolated_cache: Path) -> None:
    _, lexicon = files(tmp_path)
    acronyms = tmp_path / "acronyms.toml"
    acronyms.write_text('"GTP" = "GDP"\n', encoding="utf-8")
    done = run_cli(
        "preview", "单县的GTP隆庆祝", "--lexicon", lexicon, "--lexicon", acronyms, "--fix-typos",
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # The one take synthesized is the respelled sample's, with the lexicon's reading.
    reading = Pronunciation("单县", ("shan4", "xian4"))
    identity = LocalZhEngine().identity(load_profile(None))
    key = take_key(identity, "单县的GDP隆重庆祝", (reading,))
    assert [p.stem for p in isolated_cache.glob("*/*.take")] == [key]
