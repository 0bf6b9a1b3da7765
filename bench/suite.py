"""All the performance figures of tts-pipeline on this machine, in one run (≈ 15 minutes).

    uv run python bench/suite.py [--hours 10] [--short-minutes 10] [--skip-memory]

1. cold render of the reference speech (../shared/samples/speech_zh.txt) with the default jobs
   (one per core) and an empty take cache: characters per second, real-time factor (synthesis
   seconds / audio seconds), share of the wall time outside synthesis;
2. --jobs 1 versus the default (and, for reference, --jobs 1 on a single core);
3. warm re-render (every take from the cache) as a fraction of the cold render;
4. peak memory of a render of a 10-hour synthetic document (tone engine, real disk take cache)
   versus a 10-minute one;
5. text normalization of the reference speech (first call, and best of 5 after).

Each render runs in a fresh process. Other load on the machine slows the renders down: the
load average is printed before and after, and each render's CPU time alongside its wall time.
"""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

import memory
import normalize_speed
import render_reference
import warm_render
from common import REFERENCE, cores, in_child, load_average, render_figures, wait_for_quiet


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0, help="length of the long document")
    parser.add_argument("--short-minutes", type=float, default=10.0)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each render, wait up to this long for the 1-minute load average to fall "
        "under 0.3 per core (other processes on the machine slow the renders down)",
    )
    args = parser.parse_args()

    def quiet() -> str:
        wait_for_quiet(0.3, args.wait_quiet)
        return f"(load average {load_average()})"

    n = cores()
    print(
        f"tts-pipeline benchmark suite: {n} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, ai-edge-litert {metadata.version('ai-edge-litert')}"
    )
    print(f"load average at start: {load_average()}")
    summary: list[str] = []

    print(f"\n1. cold render of {REFERENCE.name} (default jobs, empty take cache) {quiet()}")
    cold, warm = warm_render.cold_and_warm(REFERENCE)
    print("\n".join(render_reference.report(cold)))
    summary += [
        f"  real-time factor {cold.real_time_factor:.3f} (target <= 0.06): "
        f"{verdict(cold.real_time_factor <= 0.06)}",
        f"  characters / second {cold.characters_per_second:.1f} (target >= 100): "
        f"{verdict(cold.characters_per_second >= 100)}",
        f"  outside synthesis {100 * cold.outside_synthesis:.1f} % (target < 10 %): "
        f"{verdict(cold.outside_synthesis < 0.10)}",
    ]

    print(f"\n2. --jobs 1 versus --jobs {cold.jobs} (cold, no take cache) {quiet()}")
    one = in_child(render_figures, source=REFERENCE, jobs=1)
    print("\n".join(render_reference.report(one)))
    print(f"  --jobs 1 restricted to one core (one interpreter thread) {quiet()}")
    serial = in_child(render_figures, source=REFERENCE, jobs=1, cores=1)
    print("\n".join(render_reference.report(serial)))
    speedup = one.wall_seconds / cold.wall_seconds
    print(
        f"  speed-up of --jobs {cold.jobs} over --jobs 1: {speedup:.2f}x wall, "
        f"{one.synthesis_seconds / cold.synthesis_seconds:.2f}x synthesis; "
        f"over one core: {serial.wall_seconds / cold.wall_seconds:.2f}x wall, "
        f"{serial.synthesis_seconds / cold.synthesis_seconds:.2f}x synthesis"
    )
    summary.append(
        f"  --jobs {cold.jobs} / --jobs 1 speed-up {speedup:.2f}x (target >= 1.7x): "
        f"{verdict(speedup >= 1.7)}"
    )

    print("\n3. warm re-render (every take from the cache)")
    print("\n".join(warm_render.report(cold, warm)))
    fraction = warm.wall_seconds / cold.wall_seconds
    summary.append(
        f"  warm / cold {100 * fraction:.1f} % (target < 10 %): {verdict(fraction < 0.10)}"
    )

    if not args.skip_memory:
        print(
            f"\n4. peak memory: {args.hours:g}-hour versus {args.short_minutes:g}-minute "
            f"document (tone engine, disk take cache, m4b) {quiet()}"
        )
        short, long = memory.compare(args.hours * 3600, args.short_minutes * 60)
        print("\n".join(memory.report(short, long)))
        ratio = long.peak_rss_mb / short.peak_rss_mb
        summary += [
            f"  peak RSS long / short {ratio:.2f}x (target <= 1.5x): {verdict(ratio <= 1.5)}",
            f"  peak RSS long {long.peak_rss_mb:.0f} MB (target < 500 MB): "
            f"{verdict(long.peak_rss_mb < 500)}",
        ]

    print(f"\n5. text normalization {quiet()}")
    first, best = in_child(normalize_speed.measure, source=REFERENCE)
    print("\n".join(normalize_speed.report(REFERENCE, first, best)))
    summary.append(
        f"  normalizing the reference {best * 1000:.1f} ms (target < 100 ms): {verdict(best < 0.1)}"
    )

    print(f"\nload average at end: {load_average()}")
    print("targets:")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
