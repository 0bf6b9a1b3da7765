"""How long proofreading takes on the reference speech (every paragraph, best of 5).

    uv run python bench/proofread_speed.py [INPUT]

Printed apart: loading the phrase table, opening the segmenter's word list (built once from
jieba's dictionary file and kept in the user cache folder; "built" when it was not there yet), and
the first call (which may load pypinyin's character readings). Target: the reference in
milliseconds, a small part of the plan stage.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import platformdirs
from common import REFERENCE, load_average

from tts_pipeline.text.proofread import default_table, find_typos, segmenter_dictionary


def paragraphs(source: Path) -> list[str]:
    lines = source.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def proofread(texts: list[str]) -> int:
    return sum(len(find_typos(text)) for text in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    args = parser.parse_args()
    texts = paragraphs(args.input)
    kept = list((Path(platformdirs.user_cache_dir("tts-pipeline")) / "segmenter").glob("jieba-*"))
    table = timed(default_table)
    words = timed(segmenter_dictionary)
    first = timed(lambda: proofread(texts))
    best = min(timed(lambda: proofread(texts)) for _ in range(5))
    print(f"load average: {load_average()}")
    print(
        f"  {args.input.name}: {len(texts)} paragraphs, {sum(map(len, texts))} characters, "
        f"{proofread(texts)} flag(s)"
    )
    print(f"  phrase table ({len(default_table().phrases)} phrases): {table * 1000:7.1f} ms")
    state = "opened" if kept else "built and kept"
    print(f"  segmenter word list ({state}):    {words * 1000:7.1f} ms")
    print(f"  first call:                       {first * 1000:7.1f} ms")
    print(f"  best of 5 after:                  {best * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
