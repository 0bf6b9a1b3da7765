"""`--fill FILE` on plan and render: placeholders take the event's real values."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_tools import run_cli


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("plan", *args)


def test_fill_values_are_spoken_and_listed(tmp_path: Path, sample_path: Path) -> None:
    fills = tmp_path / "event.toml"
    fills.write_text(
        '"20xx年" = "2024年"\n"XX中学" = "石家庄市第一中学"\n"XX人" = ["520人", "30人"]\n'
        '"YY路" = "人民路"\n',
        encoding="utf-8",
    )
    result = plan(str(sample_path), "--json", "--fill", str(fills))
    assert result.returncode == 0, result.stderr
    assert "warning: fill-in 'YY路' matches no placeholder" in result.stderr
    data = json.loads(result.stdout)
    spoken = "".join(u["spoken"] for c in data["chapters"] for u in c["utterances"])
    assert "二零二四年，全区安排教育投入若干亿元" in spoken
    assert "本科上线五百二十人，比去年增加三十人；中考重点上线若干人" in spoken
    assert "石家庄市第一中学连续十年" in spoken
    people = [p["spoken"] for p in data["placeholders"] if p["text"] == "XX人"]
    assert people == ["五百二十人", "三十人", "若干人"]


def test_malformed_fill_file_is_one_line(tmp_path: Path, sample_path: Path) -> None:
    fills = tmp_path / "bad.toml"
    fills.write_text('"20xx年" = \n', encoding="utf-8")
    result = plan(str(sample_path), "--fill", str(fills))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error:")
