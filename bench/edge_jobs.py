"""How much ``--jobs 4`` speeds up an edge-tts render over ``--jobs 1``.

    uv run python bench/edge_jobs.py [--voice yunyang] [--latency 0.3] [--speed 10] [INPUT]

Starts the fake edge-tts service (tests/fake_edge.py) with realistic timing — 300 ms to the first
byte, audio streamed at 10× real time — points the engine at it (TTS_PIPELINE_EDGE_URL), then
renders the reference speech with --jobs 1 and --jobs 4, each from scratch (no take cache), and
prints both times and the speed-up. A first, untimed render warms the fake's MP3 encoder cache
and ffmpeg, so both timed runs see the same service.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "samples" / "speech_zh.txt"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY")

sys.path.insert(0, str(ROOT))

from tests.fake_edge import FakeEdgeService  # noqa: E402
from tts_pipeline.engines.edge.endpoint import ENV_VAR  # noqa: E402
from tts_pipeline.render import RenderResult, RenderSettings, render  # noqa: E402
from tts_pipeline.synthesis.store import MemoryStore  # noqa: E402
from tts_pipeline.voices import load_profile  # noqa: E402


def timed_render(source: Path, voice: str, jobs: int, out: Path) -> tuple[float, RenderResult]:
    settings = RenderSettings(
        voice=load_profile(voice), output_dir=out, jobs=jobs, use_cache=False, subtitles=False
    )
    started = time.perf_counter()
    result = render(source, settings, store=MemoryStore())
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("--voice", default="yunyang", help="an edge preset or voice short name")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds to first byte")
    parser.add_argument("--speed", type=float, default=10.0, help="streaming, x real time")
    args = parser.parse_args()
    for name in PROXY_VARS:
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)
    with (
        FakeEdgeService(latency=args.latency, speed=args.speed) as fake,
        tempfile.TemporaryDirectory() as scratch,
    ):
        os.environ[ENV_VAR] = fake.url
        timed_render(args.input, args.voice, 4, Path(scratch) / "warm-up")
        seconds: dict[int, float] = {}
        results: dict[int, RenderResult] = {}
        for jobs in (1, 4):
            seconds[jobs], results[jobs] = timed_render(
                args.input, args.voice, jobs, Path(scratch) / f"jobs{jobs}"
            )
    first = results[1]
    print(f"input:        {args.input.name} ({first.utterances} utterances, "
          f"{first.duration / 60:.1f} min of audio)")  # fmt: skip
    print(f"service:      fake edge-tts, {args.latency * 1000:.0f} ms to first byte, "
          f"streaming at {args.speed:g}x real time")  # fmt: skip
    for jobs in (1, 4):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in results[jobs].timings.items())
        print(f"--jobs {jobs}:     {seconds[jobs]:6.1f} s wall ({stages})")
    print(f"speed-up:     {seconds[1] / seconds[4]:.2f}x wall, "
          f"{first.synthesis_seconds / results[4].synthesis_seconds:.2f}x synthesis "
          "(--jobs 4 over --jobs 1)")  # fmt: skip


if __name__ == "__main__":
    main()
