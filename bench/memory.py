"""Peak memory of a long render versus a short one: the programme must never be held whole.

    uv run python bench/memory.py [--hours 10] [--short-minutes 10] [--format m4b]

Writes a synthetic document that the tone engine (bench/tone_engine.py) speaks for the given
length, renders it through the real disk take cache (in a temporary folder: ≈ 350 MB of float32
takes per hour of audio) and reports each render's peak RSS, measured in a fresh child process:
the render's own process, and separately the largest of the processes it started (ffmpeg).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import RenderFigures, in_child, load_average, render_figures
from tone_engine import RATE, ToneEngine, write_document

BYTES_PER_HOUR = 3600 * RATE * 4  # float32 takes in the cache


def tone_render(seconds: float, formats: tuple[str, ...] = ("m4b",)) -> RenderFigures:
    """Render a synthetic document of about ``seconds`` with the tone engine (in this process)."""
    with tempfile.TemporaryDirectory(prefix="tts-bench-memory-") as scratch:
        root = Path(scratch)
        document = root / "long.txt"
        write_document(document, seconds)
        return render_figures(
            document, cache_dir=root / "takes", engine=ToneEngine(), formats=formats
        )


def check_disk(seconds: float) -> None:
    need = 1.2 * BYTES_PER_HOUR * seconds / 3600
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < need:
        raise SystemExit(
            f"need {need / 1e9:.1f} GB free in {tempfile.gettempdir()} for the takes, "
            f"have {free / 1e9:.1f} GB"
        )


def compare(
    long_seconds: float, short_seconds: float, formats: tuple[str, ...] = ("m4b",)
) -> tuple[RenderFigures, RenderFigures]:
    check_disk(long_seconds)
    short = in_child(tone_render, seconds=short_seconds, formats=formats)
    long = in_child(tone_render, seconds=long_seconds, formats=formats)
    return short, long


def report(short: RenderFigures, long: RenderFigures) -> list[str]:
    lines = []
    for label, f in (("short", short), ("long", long)):
        lines.append(
            f"  {label:<5} {f.audio_seconds / 3600:6.2f} h of audio, {f.utterances} takes: "
            f"peak RSS {f.peak_rss_mb:6.1f} MB (render process), "
            f"{f.peak_child_rss_mb:6.1f} MB (largest child: ffmpeg); "
            f"wall {f.wall_seconds:6.1f} s, CPU {f.cpu_seconds:6.1f} s "
            f"(stitch/export {f.timings.get('stitch_export', 0.0):.1f} s)"
        )
    ratio = long.peak_rss_mb / short.peak_rss_mb
    lines.append(f"  long / short peak RSS of the render process: {ratio:.2f}x")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--short-minutes", type=float, default=10.0)
    parser.add_argument("--format", default="m4b", help="output format(s), comma-separated")
    args = parser.parse_args()
    print(f"load average: {load_average()}")
    short, long = compare(args.hours * 3600, args.short_minutes * 60, (args.format,))
    print("\n".join(report(short, long)))


if __name__ == "__main__":
    main()
