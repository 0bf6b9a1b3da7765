"""Render the reference speech cold (no cache) and print throughput figures.

    uv run python bench/render_reference.py [--jobs N] [--cores N] [INPUT]

Prints characters per second (spoken characters / wall seconds), the real-time factor
(synthesis seconds / audio seconds), the share of wall time spent outside synthesis, the time
of each stage and the CPU time of all processes. The render runs in a fresh process;
``--cores`` restricts it (and its workers) to that many CPUs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import REFERENCE, RenderFigures, in_child, load_average, render_figures


def report(f: RenderFigures) -> list[str]:
    lines = [
        f"  jobs {f.jobs}: {f.audio_seconds:.1f} s of audio ({f.utterances} utterances, "
        f"{f.characters} spoken characters)",
        f"  wall {f.wall_seconds:.1f} s, synthesis {f.synthesis_seconds:.1f} s, "
        f"CPU {f.cpu_seconds:.1f} s (all processes)",
        f"  characters / second:  {f.characters_per_second:.1f}",
        f"  real-time factor:     {f.real_time_factor:.3f}",
        f"  outside synthesis:    {100 * f.outside_synthesis:.1f} % of wall time",
    ]
    lines += [f"    {stage:<14} {seconds:6.2f} s" for stage, seconds in f.timings.items()]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--jobs", type=int, default=None, help="default: the engine's default")
    parser.add_argument("--cores", type=int, default=None)
    args = parser.parse_args()
    print(f"load average: {load_average()}")
    figures = in_child(render_figures, source=args.input, jobs=args.jobs, cores=args.cores)
    print(f"input: {args.input.name}")
    print("\n".join(report(figures)))


if __name__ == "__main__":
    main()
