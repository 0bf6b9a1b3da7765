"""Cold render versus warm re-render (every take from the cache) of the reference speech.

    uv run python bench/warm_render.py [--jobs N] [INPUT]

Prints both wall times and the warm time as a fraction of the cold one (target: under 10 %).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tts_pipeline.cache import TakeCache
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.voices import load_profile

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "speech_zh.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        jobs = {"jobs": args.jobs} if args.jobs else {}
        settings = RenderSettings(
            voice=load_profile(None), output_dir=root / "out", cache_dir=root / "c", **jobs
        )
        cold = render(args.input, settings, store=TakeCache(root / "c"))
        warm = render(args.input, settings, store=TakeCache(root / "c"))
    print(f"cold render: {cold.wall_seconds:.2f} s ({cold.synthesized} takes synthesized)")
    print(
        f"warm render: {warm.wall_seconds:.2f} s ({warm.synthesized} synthesized, "
        f"{warm.reused} reused)"
    )
    print(f"warm / cold: {100 * warm.wall_seconds / cold.wall_seconds:.1f} %")


if __name__ == "__main__":
    main()
