"""What a listener would hear: the character error rate (CER) of a speech recogniser on renders
of the reference speech, for every voice that runs offline here.

    uv sync --group quality && uv run python bench/quality.py [--voice V ...] [INPUT ...]

Each input is rendered with each voice (takes come from the take cache when they are there),
then proof-listened exactly as `tts-pipeline check` does (Whisper base, the packaged model).
Prints per voice the overall CER, the median utterance CER and what is flagged, each utterance's
CER, and the worst utterances with their differences (expected → heard). The default voices:
xiaomei (the offline neural voice) and eSpeak NG's Mandarin (bench/espeak-zh.toml) as the floor.
``--json FILE`` keeps every report, e.g. to compare two branches.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REFERENCE, ROOT, load_average

ESPEAK_ZH = ROOT / "bench" / "espeak-zh.toml"
DEFAULT_VOICES = ("xiaomei", str(ESPEAK_ZH))


def measure(source: Path, voice: str, out: Path, asr_model: str | None) -> dict[str, Any]:
    from tts_pipeline import RenderSettings, VoiceProfile, render
    from tts_pipeline.outputs.check.run import check_render

    profile = VoiceProfile.load(voice)
    settings = RenderSettings(voice=profile, output_dir=out, page=False)
    began = time.perf_counter()
    rendered = render(source, settings)
    render_seconds = time.perf_counter() - began
    result = check_render(rendered.outputs["manifest"], asr_model)
    report = result.report
    return {
        "input": source.name,
        "voice": profile.name,
        "engine": profile.engine,
        "audio_seconds": result.audio_seconds,
        "render_seconds": render_seconds,
        "transcribe_seconds": result.transcribe_seconds,
        "model": result.model,
        **report.to_json(),
    }


def toneless(text: str) -> list[str]:
    from tts_pipeline.engines.local_zh.frontend import pinyin_of

    return [syllable.rstrip("012345") for syllable in pinyin_of(text, sandhi=False)]


def homophone_edits(utterances: list[dict[str, Any]]) -> int:
    """Edits where the recogniser wrote other characters with the same syllables (tones aside)
    as the text: the voice said the right sounds, the recogniser chose the characters."""
    count = 0
    for u in utterances:
        for d in u["differences"]:
            same_length = len(d["expected"]) == len(d["heard"]) > 0
            if same_length and toneless(d["expected"]) == toneless(d["heard"]):
                count += len(d["expected"])
    return count


def differences(u: dict[str, Any], limit: int) -> str:
    shown = [f"{d['expected'] or '∅'}→{d['heard'] or '∅'}" for d in u["differences"][:limit]]
    more = len(u["differences"]) - limit
    return ", ".join(shown) + (f", … {more} more" if more > 0 else "")


def print_figures(figures: dict[str, Any], worst: int) -> None:
    print(
        f"\n{figures['input']} — {figures['voice']} ({figures['engine']}): "
        f"{figures['audio_seconds'] / 60:.1f} min of audio, "
        f"{len(figures['utterances'])} utterances, {figures['characters']} characters"
    )
    print(
        f"  CER {figures['cer']:.3f} ({figures['errors']} edits), median utterance CER "
        f"{figures['median_cer']:.3f}, flagged {len(figures['flagged'])} "
        f"(CER above {figures['threshold']:.2f}): {', '.join(figures['flagged']) or 'none'}"
    )
    homophones = homophone_edits(figures["utterances"])
    share = homophones / figures["errors"] if figures["errors"] else 0.0
    print(
        f"  {homophones} of the {figures['errors']} edits ({100 * share:.0f} %) are homophones "
        "(same syllables, other characters: the recogniser's choice)"
    )
    print(
        f"  render {figures['render_seconds']:.1f} s, transcription "
        f"{figures['transcribe_seconds']:.1f} s ({figures['model']})"
    )
    by_id = sorted(figures["utterances"], key=lambda u: u["start"])
    print("  each utterance: " + ", ".join(f"{u['id']} {u['cer']:.2f}" for u in by_id))
    print(f"  the {min(worst, len(by_id))} worst:")
    for u in figures["utterances"][:worst]:
        print(f"    {u['id']:<12} CER {u['cer']:.2f}  {differences(u, 12)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*", type=Path, default=[REFERENCE])
    parser.add_argument(
        "--voice",
        action="append",
        help="a preset name or voice file, repeatable (default: xiaomei and espeak-zh)",
    )
    parser.add_argument("--worst", type=int, default=10, help="how many worst utterances")
    parser.add_argument("--asr-model", default=None, help="as check --asr-model")
    parser.add_argument("--json", type=Path, default=None, help="write every report here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the renders here")
    parser.add_argument(
        "--show", type=Path, default=None, help="print the figures of a --json file, run nothing"
    )
    args = parser.parse_args()
    if args.show:
        for figures in json.loads(args.show.read_text(encoding="utf-8")):
            print_figures(figures, args.worst)
        return
    print(f"load average: {load_average()}")
    results = []
    with tempfile.TemporaryDirectory(prefix="tts-quality-") as scratch:
        base = args.keep or Path(scratch)
        for source in args.inputs:
            for i, voice in enumerate(args.voice or DEFAULT_VOICES):
                out = base / f"{source.stem}-{i}-{Path(voice).stem}"
                figures = measure(source, voice, out, args.asr_model)
                print_figures(figures, args.worst)
                results.append(figures)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nreports: {args.json}")


if __name__ == "__main__":
    main()
