"""Hostile but realistic inputs and faults, as a table: the next one is a row, not a test file.

Every row runs the real command line in a process of its own (so devices, FIFOs, signals and
memory behave as they do for a user) and checks the same promises: the expected exit code, one
clear line on stderr and no traceback for a user's mistake, nothing half-written in the output
folder, no leftover temporary files; ``check`` adds what is particular to the row (e.g. reading
the metadata of what was written back with mutagen).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docx
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
    # issue 15: documents
    Hostile(
        "a PDF given as the speech",
        ("render", "{tmp}/speech.pdf", "-o", "{out}"),
        message=r"^error: .*speech\.pdf is a PDF file: copy its text into a \.txt file",
        prepare=lambda tmp: (tmp / "speech.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"),
    ),
    Hostile(
        "an old Word .doc",
        ("render", "{tmp}/speech.doc", "-o", "{out}"),
        message=r"^error: .*speech\.doc is an old Word \.doc .*save it as \.docx",
        prepare=lambda tmp: (tmp / "speech.doc").write_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
        ),
    ),
    Hostile(
        "an empty .docx",
        ("render", "{tmp}/empty.docx", "-o", "{out}"),
        message=r"^error: .*empty\.docx is empty",
        prepare=lambda tmp: (tmp / "empty.docx").write_bytes(b""),
    ),
    Hostile(
        "a corrupted .docx (cut off half way)",
        ("render", "{tmp}/cut.docx", "-o", "{out}"),
        message=r"^error: .*cut\.docx is damaged: not a readable Word \.docx file",
        prepare=lambda tmp: _cut_docx(tmp / "cut.docx"),
    ),
    Hostile(
        "a .docx whose document part is not XML",
        ("plan", "{tmp}/garbled.docx"),
        message=r"^error: .*garbled\.docx is damaged: not a readable Word \.docx file",
        prepare=lambda tmp: _garbled_docx(tmp / "garbled.docx"),
    ),
    Hostile(
        "a .docx with no text",
        ("render", "{tmp}/blank.docx", "-o", "{out}"),
        message=r"^error: .*blank\.docx holds no text",
        prepare=lambda tmp: _blank_docx(tmp / "blank.docx"),
    ),
    Hostile(
        "a ZIP archive named .docx",
        ("plan", "{tmp}/archive.docx"),
        message=r"^error: .*archive\.docx is a ZIP archive but not a Word \.docx file",
        prepare=lambda tmp: _zip_of(tmp / "archive.docx", {"notes.txt": "hello"}),
    ),
    Hostile(
        "a .docx that unpacks to gigabytes (a zip bomb)",
        ("render", "{tmp}/bomb.docx", "-o", "{out}"),
        message=r"^error: .*bomb\.docx unpacks to \d+ MB of text; the limit is 67 MB",
        prepare=lambda tmp: _zip_of(
            tmp / "bomb.docx", {"word/document.xml": "<w/>", "word/bloat.xml": " " * 70_000_000}
        ),
    ),
    Hostile(
        "an empty .html",
        ("render", "{tmp}/empty.html", "-o", "{out}"),
        message=r"^error: .*empty\.html is empty",
        prepare=lambda tmp: (tmp / "empty.html").write_bytes(b""),
    ),
    Hostile(
        "a corrupted .html (binary data)",
        ("render", "{tmp}/noise.html", "-o", "{out}"),
        message=r"^error: .*noise\.html (looks like binary data|is not text)",
        prepare=lambda tmp: (tmp / "noise.html").write_bytes(bytes(range(256)) * 16),
    ),
    Hostile(
        "an .html page with nothing to read",
        ("render", "{tmp}/bare.html", "-o", "{out}"),
        message=r"^error: .*bare\.html holds no text",
        prepare=lambda tmp: (tmp / "bare.html").write_text(
            "<!DOCTYPE html><html><head><title></title><script>var a = 1;</script></head>"
            "<body><div></div></body></html>",
            encoding="utf-8",
        ),
    ),
    Hostile(
        "an .html page of nothing but page chrome",
        ("render", "{tmp}/chrome.html", "-o", "{out}"),
        message=r"^error: .*chrome\.html holds no speech text",
        prepare=lambda tmp: (tmp / "chrome.html").write_text(
            "<html><body><p>注册 | 登录</p><p>上一篇：在年会上的讲话</p>"
            "<p>Copyright © 2024 某某范文网 版权所有</p></body></html>",
            encoding="utf-8",
        ),
    ),
    Hostile(
        "standard input with nothing piped in",
        ("render", "-", "-o", "{out}"),
        message=r"^error: stdin is empty",
    ),
]


def _zip_of(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)


def _real_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("在全区工作会议上的讲话")
    document.add_paragraph("同志们：今天我们召开全区工作会议。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _cut_docx(path: Path) -> None:
    data = _real_docx()
    path.write_bytes(data[: len(data) // 2])


def _garbled_docx(path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(_real_docx())) as original:
        members = {name: original.read(name) for name in original.namelist()}
    members["word/document.xml"] = b"<w:document><unclosed"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _blank_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("")
    document.save(str(path))


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
