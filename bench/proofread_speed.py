"""How long proofreading takes on the reference speech, and what its word list costs.

    uv run python bench/proofread_speed.py [INPUT] [--repeat N]

Printed apart, each in a fresh process (best and worst of N): making the segmenter's word list
from jieba's dictionary file (what a run pays when no render has kept a copy yet, and every
render with --no-cache), making it and keeping it in a take cache folder (a render's first), and
reading the kept copy (every later plan or render). Then, in this process: loading the phrase
table, the first proofreading of every paragraph (which may load pypinyin's character readings)
and the best of 5 after. Target: the reference in milliseconds, a small part of the plan stage.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import REFERENCE, in_child, load_average

from tts_pipeline.text.proofread import default_table, find_typos
from tts_pipeline.text.word_list import SegmenterWords


def paragraphs(source: Path) -> list[str]:
    lines = source.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def word_list_seconds(folder: str | None) -> float:
    """In a child: the seconds to get the word list (read from ``folder``, else made) and keep
    it there (if it was made and there is a folder)."""

    def get_and_keep() -> None:
        words = SegmenterWords(Path(folder) if folder else None)
        words.blob  # noqa: B018 - reads or makes it
        words.keep()

    return timed(get_and_keep)


def proofread(texts: list[str]) -> int:
    return sum(len(find_typos(text)) for text in texts)


def spread(seconds: list[float]) -> str:
    return f"{min(seconds) * 1000:7.1f} ms (worst {max(seconds) * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per figure")
    args = parser.parse_args()
    texts = paragraphs(args.input)
    print(f"load average: {load_average()}")
    made, kept, read = [], [], []
    for _ in range(args.repeat):
        made.append(in_child(word_list_seconds, folder=None))
        with tempfile.TemporaryDirectory(prefix="word-list-") as folder:
            kept.append(in_child(word_list_seconds, folder=folder))
            read.append(in_child(word_list_seconds, folder=folder))
    print(f"  word list made in memory:          {spread(made)}")
    print(f"  word list made and kept:           {spread(kept)}")
    print(f"  word list read from the kept copy: {spread(read)}")
    table = timed(default_table)
    first = timed(lambda: proofread(texts))
    best = min(timed(lambda: proofread(texts)) for _ in range(5))
    print(
        f"  {args.input.name}: {len(texts)} paragraphs, {sum(map(len, texts))} characters, "
        f"{proofread(texts)} flag(s)"
    )
    print(f"  phrase table ({len(default_table().phrases)} phrases): {table * 1000:7.1f} ms")
    print(f"  first proofreading (word list made): {first * 1000:7.1f} ms")
    print(f"  best of 5 after:                     {best * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
