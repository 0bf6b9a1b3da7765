"""How long the text normalizer takes on the reference speech (every paragraph, best of 5).

    uv run python bench/normalize_speed.py [INPUT]

The first call compiles the rule tables and patterns; it is printed apart. Target: the reference
normalized in well under 100 ms (it is a small part of the plan stage).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import REFERENCE, load_average

from tts_pipeline.text.normalize import normalize_all


def paragraphs(source: Path) -> list[str]:
    lines = source.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def seconds(texts: list[str]) -> float:
    started = time.perf_counter()
    normalize_all(texts)
    return time.perf_counter() - started


def measure(source: Path) -> tuple[float, float]:
    """(first call, best of 5 after) in seconds."""
    texts = paragraphs(source)
    first = seconds(texts)
    return first, min(seconds(texts) for _ in range(5))


def report(source: Path, first: float, best: float) -> list[str]:
    texts = paragraphs(source)
    return [
        f"  {source.name}: {len(texts)} paragraphs, {sum(len(t) for t in texts)} characters",
        f"  first call (tables compiled): {first * 1000:7.1f} ms",
        f"  best of 5 after:              {best * 1000:7.1f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    args = parser.parse_args()
    print(f"load average: {load_average()}")
    print("\n".join(report(args.input, *measure(args.input))))


if __name__ == "__main__":
    main()
