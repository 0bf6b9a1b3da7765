"""Bad input ends in one clear line on stderr, exit code 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_tools import run_cli


def _inputs(tmp_path: Path) -> dict[str, Path]:
    files = {
        "missing": tmp_path / "nope.txt",
        "directory": tmp_path / "adir",
        "empty": tmp_path / "empty.txt",
        "whitespace": tmp_path / "blank.txt",
        "binary": tmp_path / "binary.txt",
        "undecodable": tmp_path / "bad.txt",
    }
    files["directory"].mkdir()
    files["empty"].write_bytes(b"")
    files["whitespace"].write_bytes(" \n\u3000\n\t\r\n".encode())
    files["binary"].write_bytes(bytes(range(256)) * 64)
    files["undecodable"].write_bytes(b"\x81\x30\xff\xfe\xff" * 200)
    return files


@pytest.mark.parametrize(
    "case", ["missing", "directory", "empty", "whitespace", "binary", "undecodable"]
)
@pytest.mark.parametrize("command", ["render", "plan"])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, case: str, command: str) -> None:
    path = _inputs(tmp_path)[case]
    out_dir = tmp_path / "out"
    args = [command, str(path)] + (["-o", str(out_dir)] if command == "render" else [])
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in result.stderr
    assert not out_dir.exists()


def test_unknown_voice_is_one_line(tmp_path: Path, sample_path: Path) -> None:
    result = run_cli("render", str(sample_path), "--voice", "nobody", "-o", "o", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: unknown voice 'nobody'")
    assert not (tmp_path / "o").exists()


def test_help_has_examples(tmp_path: Path) -> None:
    result = run_cli("render", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Example" in result.stdout
