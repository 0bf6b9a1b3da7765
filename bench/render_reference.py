"""Render the reference speech cold (no cache) and print throughput figures.

    uv run python bench/render_reference.py [--jobs N] [INPUT]

Prints characters per second (spoken characters / wall seconds), the real-time factor
(synthesis seconds / audio seconds) and the share of wall time spent outside synthesis.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tts_pipeline.render import MemoryStore, RenderSettings, render
from tts_pipeline.voices import load_profile

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "speech_zh.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--voice", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        settings = RenderSettings(
            voice=load_profile(args.voice), output_dir=Path(out), jobs=args.jobs, use_cache=False
        )
        result = render(args.input, settings, store=MemoryStore())
    outside = result.wall_seconds - result.synthesis_seconds
    print(f"input:               {args.input.name}")
    print(f"jobs:                {args.jobs}")
    print(f"audio:               {result.duration:.1f} s ({result.duration / 60:.2f} min)")
    print(f"utterances:          {result.utterances}")
    print(f"spoken characters:   {result.characters}")
    print(f"wall time:           {result.wall_seconds:.1f} s")
    print(f"synthesis time:      {result.synthesis_seconds:.1f} s")
    print(f"characters / second: {result.characters / result.wall_seconds:.1f}")
    print(f"real-time factor:    {result.synthesis_seconds / result.duration:.3f}")
    print(f"outside synthesis:   {100 * outside / result.wall_seconds:.1f} % of wall time")
    for stage, seconds in result.timings.items():
        print(f"  {stage:<18} {seconds:.2f} s")


if __name__ == "__main__":
    main()
