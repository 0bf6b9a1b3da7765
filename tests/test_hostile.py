"""Hostile but realistic inputs and faults, as a table: the next one is a row, not a test file.

Every row runs the real command line in a process of its own (so devices, FIFOs, signals and
memory behave as they do for a user) and checks the same promises: the expected exit code, one
clear line on stderr and no traceback for a user's mistake, nothing half-written in the output
folder, no leftover temporary files; ``check`` adds what is particular to the row (e.g. reading
the metadata of what was written back with mutagen).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# A short speech every row may use ({speech} in the arguments).
SPEECH = (
    "会议讲话\n\n同志们：\n\n第一，提高认识。大家要统一思想。\n\n第二，狠抓落实。\n\n谢谢大家！\n"
)


@dataclass(frozen=True)
class Run:
    """What one row's command did, and where."""

    returncode: int
    stdout: str
    stderr: str
    tmp: Path  # the row's scratch folder (the command's working directory)
    out: Path  # the output folder ({out} in the arguments)

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@dataclass(frozen=True)
class Hostile:
    """One hostile input or fault and what must happen.

    ``args`` are the command line after ``tts-pipeline``; ``{tmp}``, ``{out}`` and ``{speech}``
    are replaced with the row's scratch folder, its output folder and a short speech file.
    ``prepare`` makes the row's files before the run; ``message`` is a regular expression the
    one error line must match (when ``exit_code`` is not 0); ``check`` looks at the result.
    """

    name: str
    args: tuple[str, ...]
    exit_code: int = 2
    message: str = ""
    prepare: Callable[[Path], None] = field(default=lambda tmp: None)
    check: Callable[[Run], None] | None = None
    timeout: float = 120.0
    env: dict[str, str] = field(default_factory=dict)


def run_row(row: Hostile, tmp: Path) -> Run:
    out = tmp / "out"
    speech = tmp / "speech.txt"
    speech.write_text(SPEECH, encoding="utf-8")
    row.prepare(tmp)
    args = [a.format(tmp=tmp, out=out, speech=speech) for a in row.args]
    env = {**os.environ, **row.env}
    result = subprocess.run(
        [sys.executable, "-m", "tts_pipeline", *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        timeout=row.timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    return Run(result.returncode, result.stdout, result.stderr, tmp, out)


def leftovers(folder: Path) -> list[Path]:
    """Temporary files a run must not leave behind in an output folder."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".part"))


# ---------------------------------------------------------------------------------------------
# The table

ROWS: list[Hostile] = [
    Hostile(
        "missing input file",
        ("render", "{tmp}/nope.txt", "-o", "{out}"),
        message=r"^error: input file not found",
    ),
    Hostile(
        "a directory as input",
        ("plan", "{tmp}"),
        message=r"^error: .* is a directory",
    ),
    Hostile(
        "malformed rate",
        ("render", "{speech}", "--rate", "10%", "-o", "{out}"),
        message=r"^error: rate must look like \+10% or -5%",
    ),
    # issue 16: lexicons
    Hostile(
        "lexicon that is not TOML",
        ("render", "{speech}", "--lexicon", "{tmp}/bad.toml", "-o", "{out}"),
        message=r"^error: lexicon file .*bad\.toml is not valid TOML: .*line 2.*\"GTP\" \"GDP\"$",
        prepare=lambda tmp: (tmp / "bad.toml").write_text(
            '"AI" = "人工智能"\n"GTP" "GDP"\n', encoding="utf-8"
        ),
    ),
    Hostile(
        "lexicon with bad pinyin",
        ("render", "{speech}", "--lexicon", "{tmp}/bad.toml", "-o", "{out}"),
        message=r"^error: lexicon file .*bad\.toml: entry '单县': 'shan9' is not a pinyin syllable",
        prepare=lambda tmp: (tmp / "bad.toml").write_text(
            '"单县" = { pinyin = "shan9 xian4" }\n', encoding="utf-8"
        ),
    ),
    Hostile(
        "lexicon with an empty key",
        ("render", "{speech}", "--lexicon", "{tmp}/ok.toml", "--lexicon", "{tmp}/bad.toml")
        + ("-o", "{out}"),
        message=r"^error: lexicon file .*bad\.toml: an entry has an empty written form",
        prepare=lambda tmp: [
            (tmp / "ok.toml").write_text('"GTP" = "GDP"\n', encoding="utf-8"),
            (tmp / "bad.toml").write_text('"" = "什么"\n', encoding="utf-8"),
        ],
    ),
    Hostile(
        "missing lexicon file",
        ("plan", "{speech}", "--lexicon", "{tmp}/nope.toml"),
        message=r"^error: cannot read lexicon file .*nope\.toml: No such file",
    ),
    Hostile(
        "malformed user lexicon",
        ("render", "{speech}", "-o", "{out}"),
        message=r"^error: lexicon file .*user\.toml: entry '单县': 2 character\(s\) but 1 pinyin",
        prepare=lambda tmp: (tmp / "user.toml").write_text(
            '"单县" = { pinyin = "shan4" }\n', encoding="utf-8"
        ),
        env={"TTS_PIPELINE_LEXICON": "user.toml"},
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_hostile(row: Hostile, tmp_path: Path) -> None:
    run = run_row(row, tmp_path)
    assert run.returncode == row.exit_code, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    if row.exit_code != 0:
        assert len(run.lines) == 1, run.stderr
        assert re.search(row.message, run.lines[0]), run.lines[0]
        outputs = [p for p in run.out.rglob("*") if p.is_file()] if run.out.exists() else []
        assert outputs == [], outputs
    assert leftovers(run.out) == []
    if row.check is not None:
        row.check(run)
