"""Batch rendering on this machine (issue 17): documents found in folders and patterns, names that
never collide, a document that fails while the others go on, batch.json, the up-to-date skip and
--force, one take cache, the engine's workers (and their models) kept for the whole batch, and no
Ray without --executor ray. The offline voice renders every document for real."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.audio_tools import decode
from tests.cli_tools import cli, run_cli
from tests.worker_jobs import SETUP_LOG, counting_runtime
from tts_pipeline.batch.progress import NoBatchProgress
from tts_pipeline.batch.run import render_batch
from tts_pipeline.batch.sources import find_documents, is_batch
from tts_pipeline.engines.local_zh.engine import LocalZhEngine
from tts_pipeline.outputs.batch_report import Outcome
from tts_pipeline.outputs.layout import batch_layouts
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.progress import NoProgress, Progress
from tts_pipeline.voices import load_profile

SPEECHES = {
    "2023/speech.txt": "开学典礼讲话\n\n同志们：\n\n第一，提高认识。统一思想。\n\n谢谢大家！\n",
    "2024/speech.txt": "毕业典礼讲话\n\n同学们：\n\n祝贺大家顺利毕业。\n\n谢谢大家！\n",
    "welcome.md": "# 欢迎辞\n\n各位来宾，大家好！\n\n谢谢大家！\n",
}
# Long enough that both workers are busy with it for a while.
LONG = "工作报告\n\n" + "".join(
    f"第{n}，我们要继续加强学习，认真总结经验，不断提高工作水平，努力完成各项任务。\n\n"
    for n in "一二三四五六"
)


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def statuses(out: Path) -> dict[str, str]:
    data = json.loads((out / "batch.json").read_text("utf-8"))
    return {Path(d["source"]).as_posix(): d["status"] for d in data["documents"]}


def test_a_batch_goes_on_past_a_failure_and_skips_what_is_up_to_date(
    tmp_path: Path, isolated_cache: Path
) -> None:
    docs, out = tmp_path / "docs", tmp_path / "out"
    write(docs, {**SPEECHES, "broken.txt": bytes(range(256)) * 8})
    # The folder, and a pattern (quoted: the shell does not expand it) naming a file again.
    result = run_cli("render", "docs", "docs/*.md", "-o", "out", cwd=tmp_path, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == f"report: {Path('out') / 'batch.json'}"
    assert statuses(out) == {
        "docs/2023/speech.txt": "done",
        "docs/2024/speech.txt": "done",
        "docs/broken.txt": "failed",
        "docs/welcome.md": "done",
    }
    report = json.loads((out / "batch.json").read_text("utf-8"))
    assert report["counts"] == {"total": 4, "done": 3, "failed": 1, "skipped": 0}
    broken = report["documents"][2]
    assert broken["reason"] == "docs/broken.txt looks like binary data, not text"
    assert "failed: docs/broken.txt: docs/broken.txt looks like binary data" in result.stderr
    assert "4 documents: 3 done, 1 failed, 0 skipped" in result.stderr

    # Each document's usual files, the two speech.txt under their folders.
    first = report["documents"][0]
    assert first["outputs"]["m4b"] == "2023/speech.m4b"
    for stem in ("2023/speech", "2024/speech", "welcome"):
        for suffix in (".m4b", ".srt", ".html", ".png", ".manifest.json"):
            assert (out / f"{stem}{suffix}").is_file(), f"{stem}{suffix}"
    manifests = {
        stem: json.loads((out / f"{stem}.manifest.json").read_text("utf-8"))
        for stem in ("2023/speech", "2024/speech", "welcome")
    }
    assert manifests["2024/speech"]["title"] == "毕业典礼讲话"

    # One take cache: 谢谢大家！ was synthesized once, for the first document.
    spoken = {u["spoken"] for m in manifests.values() for u in m["utterances"]}
    assert len(list(isolated_cache.glob("*/*.take"))) == len(spoken)
    utterances = len(manifests["2024/speech"]["utterances"])
    assert report["documents"][1]["synthesized"] == utterances - 1

    # Again: what is up to date is skipped and not touched; the broken file fails again.
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.m4b")}
    again = run_cli("render", "docs", "-o", "out", cwd=tmp_path, timeout=600)
    assert again.returncode == 1, again.stderr
    assert statuses(out) == {
        "docs/2023/speech.txt": "skipped",
        "docs/2024/speech.txt": "skipped",
        "docs/broken.txt": "failed",
        "docs/welcome.md": "skipped",
    }
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.m4b")} == stamps

    # An edited document is out of date; so are all with other settings; a missing file too.
    (docs / "broken.txt").unlink()
    write(docs, {"welcome.md": SPEECHES["welcome.md"] + "\n祝大家工作顺利！\n"})
    (out / "2023" / "speech.srt").unlink()
    edited = run_cli("render", "docs", "-o", "out", cwd=tmp_path, timeout=600)
    assert edited.returncode == 0, edited.stderr
    assert statuses(out) == {
        "docs/2023/speech.txt": "done",
        "docs/2024/speech.txt": "skipped",
        "docs/welcome.md": "done",
    }
    faster = run_cli("render", "docs", "-o", "out", "--rate", "+10%", cwd=tmp_path, timeout=600)
    assert faster.returncode == 0, faster.stderr
    assert set(statuses(out).values()) == {"done"}

    # --force renders what is up to date (from the take cache: nothing is synthesized).
    forced = run_cli("render", "docs", "-o", "out", "--rate", "+10%", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    report = json.loads((out / "batch.json").read_text("utf-8"))
    assert [d["status"] for d in report["documents"]] == ["done"] * 3
    assert [d["synthesized"] for d in report["documents"]] == [0, 0, 0]


@pytest.fixture
def setup_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the workers of a CountingEngine write their process ids, one line per set-up."""
    log = tmp_path / "setups.log"
    monkeypatch.setenv(SETUP_LOG, str(log))  # the spawned workers inherit it
    return log


class CountingEngine(LocalZhEngine):
    """The offline engine whose workers also note each set-up (each loads the models)."""

    worker_setup = staticmethod(counting_runtime)


def test_the_workers_load_the_models_once_for_the_whole_batch(
    tmp_path: Path, setup_log: Path
) -> None:
    docs = tmp_path / "docs"
    write(docs, {**SPEECHES, "long.txt": LONG})
    voice = load_profile(None).with_settings(rate="+5%", pauses={"paragraph": 1.0})

    def settings(out: str) -> RenderSettings:
        return RenderSettings(
            voice=voice, output_dir=tmp_path / out, jobs=2, formats=("mp3",), loudness=-16
        )

    report = render_batch([docs], settings("out"), engine=CountingEngine())
    assert [d.outcome for d in report.documents] == [Outcome.DONE] * 4
    # Two workers served all four documents: each set itself up (loaded the models) once.
    pids = setup_log.read_text().split()
    assert len(pids) == 2 and len(set(pids)) == 2
    assert multiprocessing.active_children() == []  # closed at the end

    # The same settings reach each document of a batch as a render of it alone.
    alone = render(docs / "long.txt", settings("alone"))
    batch_audio = decode(tmp_path / "out" / "long.mp3")
    assert np.array_equal(decode(alone.outputs["mp3"]), batch_audio)
    manifest = json.loads((tmp_path / "out" / "long.manifest.json").read_text("utf-8"))
    assert manifest["voice"]["rate"] == "+5%"
    assert manifest["loudness"]["target_lufs"] == -16


class KillsAWorker(NoBatchProgress):
    """Kills one of the engine's worker processes when the first take of ``victim`` arrives:
    the engine fails in the middle of that document."""

    def __init__(self, victim: str) -> None:
        self.victim = victim
        self.killed: list[int] = []

    def document(self, name: str, characters: int) -> Progress:
        batch = self

        class Rows(NoProgress):
            def advance(self, n: int = 1) -> None:
                if name.endswith(batch.victim) and not batch.killed:
                    worker = multiprocessing.active_children()[0]
                    os.kill(worker.pid or 0, signal.SIGKILL)
                    batch.killed.append(worker.pid or 0)

        return Rows()


def test_an_engine_failure_fails_its_document_and_the_others_go_on(
    tmp_path: Path, setup_log: Path
) -> None:
    docs = tmp_path / "docs"
    write(
        docs, {"a.txt": SPEECHES["welcome.md"], "b.txt": LONG, "c.txt": SPEECHES["2024/speech.txt"]}
    )
    settings = RenderSettings(output_dir=tmp_path / "out", jobs=2)
    progress = KillsAWorker("b.txt")
    report = render_batch([docs], settings, engine=CountingEngine(), progress=progress)
    assert progress.killed
    outcomes = {d.source.name: d for d in report.documents}
    assert outcomes["a.txt"].outcome is Outcome.DONE
    assert outcomes["b.txt"].outcome is Outcome.FAILED
    assert "a worker process stopped unexpectedly" in outcomes["b.txt"].reason
    assert outcomes["c.txt"].outcome is Outcome.DONE
    # The dead worker was replaced for c.txt (and so was the other one if it still had jobs of
    # b.txt in flight when the failure was seen: their answers belong to no document).
    assert len(setup_log.read_text().split()) in (3, 4)
    assert not (tmp_path / "out" / "b.m4b").exists()
    assert json.loads((tmp_path / "out" / "batch.json").read_text("utf-8"))["counts"]["failed"] == 1


def test_a_local_batch_imports_no_ray(tmp_path: Path) -> None:
    write(tmp_path / "docs", {"a.txt": SPEECHES["welcome.md"], "b.txt": SPEECHES["welcome.md"]})
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import tts_pipeline\n"
        "from tts_pipeline.batch.run import render_batch\n"
        "from tts_pipeline.render import RenderSettings\n"
        "report = render_batch(['docs'], RenderSettings(output_dir=Path('out')))\n"
        "assert [d.outcome.value for d in report.documents] == ['done', 'done']\n"
        "ray = ('ray', 'tts_pipeline.batch.on_ray')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray' or m in ray))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_folder_of_word_files_web_pages_and_markdown_is_a_batch(
    tmp_path: Path, isolated_cache: Path
) -> None:
    import docx

    docs = tmp_path / "docs"
    write(
        docs,
        {
            "notes.md": SPEECHES["welcome.md"],
            "page.html": "<html><head><title>毕业典礼讲话</title></head><body><article>"
            "<h1>毕业典礼讲话</h1><p>同学们：</p><p>祝贺大家顺利毕业，走向新的岗位。</p>"
            "<p>谢谢大家！</p></article></body></html>",
        },
    )
    word = docx.Document()
    for line in ("开学典礼讲话", "同志们：", "第一，提高认识。统一思想。", "谢谢大家！"):
        word.add_paragraph(line)
    word.save(str(docs / "talk.docx"))
    code, stdout, stderr = cli("render", str(docs), "-o", str(tmp_path / "out"), "--no-page")
    assert code == 0, stderr
    assert statuses(tmp_path / "out") == {
        (docs / name).as_posix(): "done" for name in ("notes.md", "page.html", "talk.docx")
    }
    for stem, title in (("notes", "欢迎辞"), ("page", "毕业典礼讲话"), ("talk", "开学典礼讲话")):
        manifest = json.loads((tmp_path / "out" / f"{stem}.manifest.json").read_text("utf-8"))
        assert manifest["title"] == title
        assert decode(tmp_path / "out" / f"{stem}.m4b").size > 0


# -- the rules, without rendering ----------------------------------------------------------------


def test_output_names_never_collide() -> None:
    def names(*documents: str) -> list[str]:
        layouts = batch_layouts(Path("out"), [Path(d) for d in documents])
        return [(layout.folder / layout.stem).as_posix() for layout in layouts]

    assert names("a/x.txt", "b/y.md") == ["out/x", "out/y"]
    assert names("a/2023/speech.txt", "a/2024/speech.txt", "a/other.txt") == [
        "out/2023/speech", "out/2024/speech", "out/other",
    ]  # fmt: skip
    assert names("d/speech.txt", "d/speech.md", "d/e/speech.txt") == [
        "out/speech.txt", "out/speech.md", "out/e/speech",
    ]  # fmt: skip
    assert names("a/Speech.txt", "b/speech.txt") == ["out/a/Speech", "out/b/speech"]
    # The same documents in another order get the same names.
    assert sorted(names("a/2024/speech.txt", "a/other.txt", "a/2023/speech.txt")) == sorted(
        names("a/2023/speech.txt", "a/2024/speech.txt", "a/other.txt")
    )


def test_documents_are_found_in_folders_and_patterns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "docs/b.txt": "乙",
            "docs/a.md": "甲",
            "docs/sub/c.txt": "丙",
            "docs/notes.pdf": "x",
            "docs/page.HTML": "<p>丁</p>",
            "docs/sub/talk.docx": b"PK",
            "docs/.hidden.txt": "x",
            "docs/.git/d.txt": "x",
            "docs/out/old.txt": "x",  # the output folder of an earlier run
            "more/e.txt": "戊",
        },
    )
    monkeypatch.chdir(tmp_path)
    found = find_documents(
        ["docs", "more/*.txt", "docs/b.txt", "nope.txt", "none/*.md"], Path("docs/out")
    )
    assert [p.as_posix() for p in found.documents] == [
        "docs/a.md", "docs/b.txt", "docs/page.HTML", "docs/sub/c.txt", "docs/sub/talk.docx",
        "more/e.txt",
    ]  # fmt: skip
    assert found.missing == (Path("nope.txt"),)
    assert found.empty == ("none/*.md",)
    assert not is_batch(["docs/b.txt"]) and not is_batch(["nope.txt"])
    assert (
        is_batch(["docs"]) and is_batch(["more/*.txt"]) and is_batch(["docs/b.txt", "more/e.txt"])
    )


def test_batch_mistakes_are_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    speech = tmp_path / "speech.txt"
    speech.write_text(SPEECHES["welcome.md"], encoding="utf-8")
    for args, message in (
        ([str(tmp_path / "empty")], "error: no speech files found in "),
        (
            [str(speech), "--ray-address", "127.0.0.1:9"],
            "error: --ray-address needs --executor ray",
        ),
        ([str(speech), "--executor", "spark"], "error: unknown executor 'spark'"),
        ([str(speech), "-"], "error: standard input (-) is one document"),
        ([str(speech), str(speech), "--title", "T"], "error: --title names one document"),
    ):
        code, stdout, stderr = cli("render", *args, "-o", str(tmp_path / "out"))
        assert code == 2, stderr
        assert stderr.startswith(message) and len(stderr.strip().splitlines()) == 1, stderr
    assert not (tmp_path / "out").exists()
