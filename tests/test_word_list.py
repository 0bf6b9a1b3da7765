"""The segmenter's word list that proofreading asks: jieba's dictionary as a sorted list searched
by bisection, made once, kept by a render in the take cache the user chose and nowhere else."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import tts_pipeline
from tests.cli_tools import run_cli
from tts_pipeline.text.word_list import Dictionary, SegmenterWords, default_words

SPEECH = "会议讲话\n\n同志们：\n\n今天，我们在这里隆庆祝教师节。\n\n谢谢大家！\n"


def jieba_words() -> set[str]:
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.origin is not None
    lines = (Path(spec.origin).parent / "dict.txt").read_text(encoding="utf-8").splitlines()
    return {line.split(" ", 1)[0] for line in lines}


def test_the_dictionary_agrees_with_jieba_dictionary_file() -> None:
    words = jieba_words()
    dictionary = default_words()
    sample = sorted(words)[:: len(words) // 500]
    assert all(word in dictionary for word in sample)
    others = [w + tail for w in sample for tail in ("乎", "X")]
    assert [w in dictionary for w in others] == [w in words for w in others]
    assert "" not in dictionary and "新时达" not in dictionary


def test_a_word_list_is_searched_by_bisection() -> None:
    words = ["乙", "甲", "甲乙", "a", "ab", "b", "中国", "中"]
    dictionary = Dictionary.from_words(words)
    assert all(w in dictionary for w in words)
    assert not any(w in dictionary for w in ["", "c", "甲乙丙", "中华", "aa", "\n"])
    assert "甲" not in Dictionary(b"")


def kept_copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("jieba-words-*"))


def test_it_is_kept_in_the_folder_given_and_read_from_there(tmp_path: Path) -> None:
    folder = tmp_path / "segmenter"
    words = SegmenterWords(folder)
    words.keep()
    assert not folder.exists()  # nothing is read, made or kept before the first question
    assert "中国" in words
    assert not folder.exists()  # made in memory: asking writes nothing
    words.keep()
    (kept,) = kept_copies(folder)
    digest, _, blob = kept.read_bytes().partition(b"\n")
    assert digest == hashlib.sha256(blob).hexdigest().encode()
    assert blob == words.blob
    # The next run reads the kept copy: one that says other (whole, checksummed) words is used.
    other = "甲乙丙\n".encode()
    kept.write_bytes(hashlib.sha256(other).hexdigest().encode() + b"\n" + other)
    again = SegmenterWords(folder)
    assert "甲乙丙" in again and "中国" not in again
    again.keep()  # read, not made: nothing to keep
    assert kept.read_bytes().endswith(other)


def test_a_damaged_copy_is_made_again(tmp_path: Path) -> None:
    folder = tmp_path / "segmenter"
    words = SegmenterWords(folder)
    assert "中国" in words
    words.keep()
    (kept,) = kept_copies(folder)
    whole = kept.read_bytes()
    kept.write_bytes(whole[: len(whole) // 2])  # cut short
    again = SegmenterWords(folder)
    assert "中国" in again
    again.keep()
    assert kept.read_bytes() == whole


def test_plan_reads_the_take_cache_the_user_chose(tmp_path: Path) -> None:
    speech = tmp_path / "speech.txt"
    speech.write_text(SPEECH, encoding="utf-8")
    chosen = tmp_path / "chosen"
    assert len(tts_pipeline.plan(speech, cache_dir=chosen).typos) == 1
    assert not chosen.exists()  # a plan writes nothing
    kept = SegmenterWords(chosen / "segmenter")
    assert "教师节" in kept
    kept.keep()
    (copy,) = kept_copies(chosen / "segmenter")
    _, _, blob = copy.read_bytes().partition(b"\n")
    # What a render kept is what a plan asks: with 隆庆祝 a word, it is no typo any more.
    lines = [*blob.split(b"\n")[:-1], "隆庆祝".encode()]
    more = b"\n".join(sorted(lines)) + b"\n"
    copy.write_bytes(hashlib.sha256(more).hexdigest().encode() + b"\n" + more)
    assert tts_pipeline.plan(speech, cache_dir=chosen).typos == ()


def test_plan_writes_no_word_list_anywhere(tmp_path: Path) -> None:
    """Not in the take cache ($TTS_PIPELINE_CACHE_DIR) and not in the user's own cache folder
    (here $XDG_CACHE_HOME), where it once went whatever the take cache was."""
    speech = tmp_path / "speech.txt"
    speech.write_text(SPEECH, encoding="utf-8")
    user_cache, takes = tmp_path / "user-cache", tmp_path / "takes"
    env = {**os.environ, "XDG_CACHE_HOME": str(user_cache), "TTS_PIPELINE_CACHE_DIR": str(takes)}
    done = run_cli("plan", speech, env=env)
    assert done.returncode == 0, done.stderr
    assert "隆庆祝 → 隆重庆祝" in done.stdout
    assert not takes.exists()
    assert not user_cache.exists()
