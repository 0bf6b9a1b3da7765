"""Cold render versus warm re-render (every take from the cache) of the reference speech.

    uv run python bench/warm_render.py [--jobs N] [INPUT]

Both renders run in fresh processes (as two runs of the command would), the first with an empty
take cache, the second with the takes the first one kept. Prints both wall times and the warm
time as a fraction of the cold one (target: under 10 %).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import REFERENCE, RenderFigures, in_child, load_average, render_figures


def cold_and_warm(source: Path, jobs: int | None = None) -> tuple[RenderFigures, RenderFigures]:
    with tempfile.TemporaryDirectory(prefix="tts-bench-cache-") as cache:
        cold = in_child(render_figures, source=source, jobs=jobs, cache_dir=Path(cache))
        warm = in_child(render_figures, source=source, jobs=jobs, cache_dir=Path(cache))
    return cold, warm


def report(cold: RenderFigures, warm: RenderFigures) -> list[str]:
    return [
        f"  cold render: {cold.wall_seconds:6.2f} s ({cold.synthesized} takes synthesized)",
        f"  warm render: {warm.wall_seconds:6.2f} s ({warm.synthesized} synthesized, "
        f"{warm.utterances - warm.synthesized} from the cache)",
        f"  warm / cold: {100 * warm.wall_seconds / cold.wall_seconds:.1f} %",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    print(f"load average: {load_average()}")
    print("\n".join(report(*cold_and_warm(args.input, args.jobs))))


if __name__ == "__main__":
    main()
