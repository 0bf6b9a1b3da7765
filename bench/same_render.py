"""Does the working tree render the reference speech exactly as a given commit does?

    uv run python bench/same_render.py [COMMIT] [--input FILE] [--keep] [--new-field NAME …]
                                       [--new-manifest-field NAME …]

COMMIT (default 9ee4a16, the commit before the code was laid out as the pipeline's stages; since
issue 13's fixes, whose plan --json has an ``unspeakable`` field, compare against 1834fa8 or
later; since issue 15, whose ``removed`` entries are {text, rule} objects, against a commit that
has it) is checked out into a temporary ``git worktree``; the reference speech is rendered with it
and with the working tree, each in a process of its own with an empty take cache of its own
(``TTS_PIPELINE_CACHE_DIR``) and otherwise the default settings, one after the other. Then:

* the audio: the M4B decoded by ffmpeg (imageio-ffmpeg) to 16-bit PCM, byte for byte (the file
  bytes themselves carry the date tag, which is today's on both sides);
* ``plan --json``: identical text (apart from the ``--new-field`` fields);
* the output files: the same set of names;
* the manifest: identical JSON, except ``tags.date`` (the day of the render: equal unless the
  two renders straddle midnight, which is reported and allowed) and the ``--new-field`` fields;
* every other output file (subtitles, chapters, page, overview picture): byte for byte.

``--new-field NAME`` (repeatable) names a top-level field that the working tree adds to both
``plan --json`` and the manifest (a feature's new field, e.g. ``lexicon``): it must be absent from
the baseline's, its value on the working side is printed, and the rest is compared as above.
``--new-manifest-field NAME`` is the same for a field the working tree adds to the manifest only
(e.g. ``lexicon_files``, the lexicon files a render read).

Prints what matched and exits 1 on any difference (2 if a render itself failed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "samples" / "speech_zh.txt"
BASELINE = "9ee4a16"
# Manifest fields that may differ between two faithful renders: the date tag is the day of the
# render (today's on both sides, unless they straddle midnight).
VARYING = (("tags", "date"),)


@dataclass(frozen=True)
class Side:
    name: str
    root: Path  # the code
    out: Path  # where it rendered


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


def side_env(root: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTS_PIPELINE_")}
    env["TTS_PIPELINE_CACHE_DIR"] = str(cache)
    # The code under test comes first on the path (the venv also holds an editable install of
    # the working tree, which must not shadow the commit's code).
    env["PYTHONPATH"] = str(root)
    return env


def render(side: Side, source: Path, scratch: Path) -> tuple[str, float]:
    """Render ``source`` with ``side``'s code; returns its ``plan --json`` and the wall time."""
    cache = scratch / f"cache-{side.name}"
    cache.mkdir()
    env = side_env(side.root, cache)
    where = run([sys.executable, "-c", "import tts_pipeline; print(tts_pipeline.__file__)"],
                side.root, env)  # fmt: skip
    if not Path(where.stdout.strip()).resolve().is_relative_to(side.root.resolve()):
        sys.exit(f"{side.name}: tts_pipeline comes from {where.stdout.strip()!r}, not {side.root}")
    plan = run(
        [sys.executable, "-m", "tts_pipeline", "plan", str(source), "--json"], side.root, env
    )
    if plan.returncode != 0:
        print(f"{side.name}: plan failed:\n{plan.stderr}", file=sys.stderr)
        sys.exit(2)
    t0 = time.perf_counter()
    done = run(
        [sys.executable, "-m", "tts_pipeline", "render", str(source), "-o", str(side.out)],
        side.root,
        env,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(f"{side.name}: render failed:\n{done.stderr}", file=sys.stderr)
        sys.exit(2)
    return plan.stdout, wall


def decoded_pcm(path: Path) -> bytes:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path)]
    cmd += ["-map", "0:a", "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    return subprocess.run(cmd, capture_output=True, check=True, stdin=subprocess.DEVNULL).stdout


def without(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` (removed from ``data``), or None."""
    node: Any = data
    for key in path[:-1]:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node.pop(path[-1], None) if isinstance(node, dict) else None


def first_difference(a: Any, b: Any, where: str = "") -> str:
    if type(a) is not type(b):
        return f"{where or '/'}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}/{key}: only on one side"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{where}[{i}]")
    return f"{where or '/'}: {str(a)[:80]!r} vs {str(b)[:80]!r}"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def compare(
    base: Side,
    work: Side,
    plans: tuple[str, str],
    stem: str,
    new_fields: tuple[str, ...] = (),
    manifest_fields: tuple[str, ...] = (),
) -> list[str]:
    """What differs (empty: the same render); prints what matched."""
    problems: list[str] = []

    def check(ok: bool, what: str, detail: str) -> None:
        print(f"  {'same' if ok else 'DIFFERENT':<9}  {what}: {detail}")
        if not ok:
            problems.append(what)

    def set_aside(
        what: str, data: tuple[dict[str, Any], dict[str, Any]], fields: tuple[str, ...]
    ) -> None:
        """The working side's new ``fields``, taken out (the baseline must not have them)."""
        for name in fields:
            check(name not in data[0], f"{what} {name}", "absent from the baseline")
            if name in data[1]:
                shown = json.dumps(data[1].pop(name), ensure_ascii=False)
                print(f"  {'new':<9}  {what} {name}: {shown[:200]}")
            else:
                check(False, f"{what} {name}", "absent from the working tree too")

    if new_fields:
        parsed = (json.loads(plans[0]), json.loads(plans[1]))
        set_aside("plan --json", parsed, new_fields)
        plans = (
            json.dumps(parsed[0], ensure_ascii=False),
            json.dumps(parsed[1], ensure_ascii=False),
        )
    check(plans[0] == plans[1], "plan --json", f"{len(plans[0])} characters")
    names = (sorted(p.name for p in base.out.iterdir()), sorted(p.name for p in work.out.iterdir()))
    check(names[0] == names[1], "output files", ", ".join(names[0]) + (
        "" if names[0] == names[1] else f" vs {', '.join(names[1])}"))  # fmt: skip
    pcm = (decoded_pcm(base.out / f"{stem}.m4b"), decoded_pcm(work.out / f"{stem}.m4b"))
    check(
        pcm[0] == pcm[1],
        "decoded PCM of the m4b",
        f"{len(pcm[0])} bytes ({len(pcm[0]) / 2 / 24000:.2f} s at 24 kHz), sha256 {digest(pcm[0])}"
        + ("" if pcm[0] == pcm[1] else f" vs {len(pcm[1])} bytes, sha256 {digest(pcm[1])}"),
    )
    manifest_name = f"{stem}.manifest.json"
    manifests = [json.loads((s.out / manifest_name).read_text("utf-8")) for s in (base, work)]
    set_aside("manifest", (manifests[0], manifests[1]), new_fields + manifest_fields)
    for path in VARYING:
        values = [without(m, path) for m in manifests]
        label = ".".join(path)
        if values[0] == values[1]:
            print(f"  {'same':<9}  manifest {label}: {values[0]!r}")
        else:
            print(f"  {'allowed':<9}  manifest {label}: {values[0]!r} vs {values[1]!r} (the day)")
    same = manifests[0] == manifests[1]
    raw = [(s.out / manifest_name).read_bytes() for s in (base, work)]
    print(
        f"  {'same' if raw[0] == raw[1] else 'differs':<9}  manifest bytes (informative: key order)"
    )
    check(
        same,
        "manifest",
        f"{len(manifests[0]['utterances'])} utterances, {len(manifests[0]['cues'])} cues, "
        f"every other field"
        + ("" if same else f"; first difference {first_difference(*manifests)}"),
    )
    skip = {f"{stem}.m4b", manifest_name}
    for name in names[0]:
        if name in skip or name not in names[1]:
            continue
        a, b = (base.out / name).read_bytes(), (work.out / name).read_bytes()
        check(a == b, name, f"{len(a)} bytes, sha256 {digest(a)}" + (
            "" if a == b else f" vs {len(b)} bytes, sha256 {digest(b)}"))  # fmt: skip
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", nargs="?", default=BASELINE, help=f"default {BASELINE}")
    parser.add_argument("--input", type=Path, default=REFERENCE, help="default: the reference")
    parser.add_argument("--keep", action="store_true", help="keep the renders (prints where)")
    parser.add_argument(
        "--new-field",
        action="append",
        default=[],
        metavar="NAME",
        help="a top-level field the working tree adds to plan --json and the manifest (repeatable)",
    )
    parser.add_argument(
        "--new-manifest-field",
        action="append",
        default=[],
        metavar="NAME",
        help="a top-level field the working tree adds to the manifest only (repeatable)",
    )
    args = parser.parse_args()
    source = args.input.resolve()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{args.commit}^{{commit}}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True
    ).stdout.strip()
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"baseline: {commit[:10]}; working tree: {head}{' + uncommitted changes' if dirty else ''}"
    )
    print(f"input: {source.name}")
    scratch = Path(tempfile.mkdtemp(prefix="same-render-"))
    tree = scratch / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), commit],
        check=True,
    )
    try:
        base = Side("baseline", tree, scratch / "out-baseline")
        work = Side("working", ROOT, scratch / "out-working")
        base_plan, base_wall = render(base, source, scratch)
        work_plan, work_wall = render(work, source, scratch)
        print(f"renders: baseline {base_wall:.1f} s, working tree {work_wall:.1f} s (cold caches)")
        problems = compare(
            base,
            work,
            (base_plan, work_plan),
            source.stem,
            tuple(args.new_field),
            tuple(args.new_manifest_field),
        )
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
        if args.keep:
            print(f"renders kept in {scratch}")
        else:
            subprocess.run(["rm", "-rf", str(scratch)])
    if problems:
        print(f"DIFFERENT: {', '.join(problems)}")
        sys.exit(1)
    print(f"the same render as {commit[:10]}")


if __name__ == "__main__":
    main()
