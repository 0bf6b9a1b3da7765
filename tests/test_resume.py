"""Nothing is lost: warm renders reuse every take, edits re-synthesize only what changed, and a
render killed with SIGKILL resumes where it stopped. Real offline engine, real cache on disk."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli_tools import COMMAND, run_cli, start_cli
from tests.test_render_e2e import decode_pcm
from tts_pipeline.synthesis.cache import TakeCache

PARAGRAPHS = [
    "今天的会议很重要。",
    "我们要认真学习，深入思考。",
    "第一，提高认识。大家要把思想统一起来。",
    "第二，狠抓落实。每一项工作都要有人负责。",
    "第三，加强协作。各部门要互相支持。",
    "第四，注重实效。不搞形式主义。",
    "第五，严守纪律。做到令行禁止。",
    "总之，让我们团结一心，共创佳绩。",
    "谢谢大家！",
]


def write_speech(path: Path, paragraphs: list[str]) -> None:
    path.write_text("工作会议讲话\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def render_args(source: Path, out: Path, cache: Path) -> tuple[str | Path, ...]:
    return ("render", source, "-o", out, "--cache-dir", cache)


def render(source: Path, out: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`tts-pipeline render` in a process of its own, with a take cache of the test's."""
    return run_cli(*render_args(source, out, cache), *extra, timeout=600)


def counts(stderr: str) -> tuple[int, int]:
    match = re.search(r"(\d+) synthesized, (\d+) reused", stderr)
    assert match, stderr
    return int(match.group(1)), int(match.group(2))


def takes_in(cache: Path) -> int:
    return len(list(cache.glob("*/*.take")))


def test_warm_render_reuses_everything_and_edit_touches_one(tmp_path: Path) -> None:
    source, cache = tmp_path / "talk.txt", tmp_path / "cache"
    write_speech(source, PARAGRAPHS)
    cold = render(source, tmp_path / "cold", cache)
    assert cold.returncode == 0, cold.stderr
    total = len(PARAGRAPHS) + 1  # plus the title
    assert counts(cold.stderr) == (total, 0)

    warm = render(source, tmp_path / "warm", cache)
    assert counts(warm.stderr) == (0, total)
    assert decode_pcm(tmp_path / "cold" / "talk.m4b") == decode_pcm(tmp_path / "warm" / "talk.m4b")

    edited = list(PARAGRAPHS)
    edited[3] = "第二，狠抓落实。每一项工作都要有专人负责。"
    write_speech(source, edited)
    edit = render(source, tmp_path / "edit", cache)
    assert counts(edit.stderr) == (1, total - 1)


def test_sigkill_half_way_then_resume(tmp_path: Path) -> None:
    source, cache = tmp_path / "talk.txt", tmp_path / "cache"
    write_speech(source, PARAGRAPHS * 2)  # repeated text shares takes: 10 distinct
    distinct = len(PARAGRAPHS) + 1
    proc = start_cli(
        *render_args(source, tmp_path / "out", cache),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while takes_in(cache) < distinct // 2 and time.monotonic() < deadline:
        assert proc.poll() is None, "render finished before it could be killed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = takes_in(cache)
    assert 0 < kept < distinct
    assert not (tmp_path / "out" / "talk.m4b").exists()

    again = render(source, tmp_path / "out", cache)
    assert again.returncode == 0, again.stderr
    synthesized, reused = counts(again.stderr)
    assert synthesized == distinct - kept
    assert (tmp_path / "out" / "talk.m4b").exists()


def test_truncated_take_is_replaced(tmp_path: Path) -> None:
    source, cache = tmp_path / "talk.txt", tmp_path / "cache"
    write_speech(source, PARAGRAPHS[:2])
    first = render(source, tmp_path / "a", cache)
    assert counts(first.stderr) == (3, 0)
    victim = sorted(cache.glob("*/*.take"))[0]
    victim.write_bytes(victim.read_bytes()[:1000])
    second = render(source, tmp_path / "b", cache)
    assert second.returncode == 0, second.stderr
    assert counts(second.stderr) == (1, 2)
    assert decode_pcm(tmp_path / "a" / "talk.m4b") == decode_pcm(tmp_path / "b" / "talk.m4b")


@pytest.mark.parametrize("jobs", ["1"])
def test_unwritable_output_dir_is_one_line(tmp_path: Path, jobs: str) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/tts-pipeline-cannot-write-here")
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o500)
    source = tmp_path / "talk.txt"
    write_speech(source, PARAGRAPHS[:1])
    result = render(source, target, tmp_path / "cache", "-j", jobs)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error:")


def _tiny_disk() -> None:
    """In the child: any file write beyond 64 KB fails with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_during_export_keeps_the_previous_output(tmp_path: Path) -> None:
    source, cache, out = tmp_path / "talk.txt", tmp_path / "cache", tmp_path / "out"
    write_speech(source, PARAGRAPHS[:3])
    good = render(source, out, cache)
    assert good.returncode == 0, good.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_speech(source, PARAGRAPHS[:3] + ["新加的一段话。"])
    # Synthesize the new take first, so only the export meets the "full disk".
    assert render(source, tmp_path / "warm", cache).returncode == 0
    full = run_cli(*render_args(source, out, cache), timeout=600, preexec_fn=_tiny_disk)
    assert full.returncode != 0
    assert "Traceback" not in full.stderr
    assert full.stderr.strip().splitlines()[-1].startswith("error:")
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # nothing half-written, nothing good destroyed


def test_two_renders_at_once_share_the_cache_safely(tmp_path: Path) -> None:
    source, cache, out = tmp_path / "talk.txt", tmp_path / "cache", tmp_path / "out"
    write_speech(source, PARAGRAPHS[:4])
    # Their messages go to files: a pipe read only after wait() could fill up and stop them.
    logs = [tmp_path / f"render{i}.log" for i in range(2)]
    procs = []
    for log in logs:
        with log.open("w") as stderr:
            procs.append(
                start_cli(
                    *render_args(source, out, cache), stdout=subprocess.DEVNULL, stderr=stderr
                )
            )
    for proc, log in zip(procs, logs, strict=True):
        assert proc.wait(timeout=300) == 0, log.read_text()
    assert TakeCache(cache).info().entries == len(PARAGRAPHS[:4]) + 1
    assert not list(out.glob(".*.part"))
    # The surviving output is whole: a warm render gives the same audio.
    again = render(source, tmp_path / "again", cache)
    assert counts(again.stderr)[0] == 0
    assert decode_pcm(out / "talk.m4b") == decode_pcm(tmp_path / "again" / "talk.m4b")


def _start_and_interrupt(source: Path, out: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """Start a render in a process group of its own; once two takes are stored (the encoder is
    running by then), send SIGINT to the whole group, as Ctrl-C in a terminal does."""
    with (out.parent / "render.log").open("w+") as log:
        proc = start_cli(
            *render_args(source, out, cache),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while takes_in(cache) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, "render finished before the signal"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=300)
        log.seek(0)
        return subprocess.CompletedProcess(proc.args, code, "", log.read())


def test_ctrl_c_stops_the_render_and_keeps_the_takes(tmp_path: Path) -> None:
    source, cache, out = tmp_path / "talk.txt", tmp_path / "cache", tmp_path / "out"
    write_speech(source, PARAGRAPHS)
    stopped = _start_and_interrupt(source, out, cache)
    assert stopped.returncode == 130, stderr_tail(stopped.stderr)
    assert "Traceback" not in stopped.stderr
    assert "interrupted" in stderr_tail(stopped.stderr)
    assert not out.exists() or not list(out.iterdir())
    assert takes_in(cache) >= 2


def test_a_render_that_ignores_ctrl_c_is_not_stopped_by_it(tmp_path: Path) -> None:
    # Started in the background by a script (`render ... &`), a render ignores SIGINT; so must
    # its encoder, or a Ctrl-C meant for the script would cost the render its output.
    source, cache, out = tmp_path / "talk.txt", tmp_path / "cache", tmp_path / "out"
    write_speech(source, PARAGRAPHS)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the render
    try:
        finished = _start_and_interrupt(source, out, cache)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished.returncode == 0, stderr_tail(finished.stderr)
    assert (out / "talk.m4b").is_file()


def stderr_tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-3:])


# ---------------------------------------------------------------------------------------------
# Leftovers (issue 13): a stopped render leaves no temporary file, and the next render removes
# those of a killed one, never those of a render still running.

LONG = PARAGRAPHS * 8  # a programme of a few minutes from ten distinct takes


@pytest.fixture(scope="module")
def long_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A take cache that holds every take of LONG (one cold render)."""
    root = tmp_path_factory.mktemp("long")
    source, cache = root / "talk.txt", root / "cache"
    write_speech(source, LONG)
    cold = render(source, root / "out", cache)
    assert cold.returncode == 0, cold.stderr
    return cache


def temp_env(tmp: Path) -> dict[str, str]:
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


def leftovers(*folders: Path) -> list[str]:
    """Temporary files and folders of renders: parts (output folder, take cache) and
    tts-pipeline-* folders (the temporary folder)."""
    found = []
    for folder in folders:
        if folder.exists():
            found += [str(p) for p in folder.rglob(".*.part")]
            found += [str(p) for p in folder.glob("tts-pipeline-*")]
    return sorted(found)


def start_render(source: Path, out: Path, cache: Path, env: dict[str, str], log: Path):
    with log.open("w") as stderr:
        return start_cli(
            *render_args(source, out, cache),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            start_new_session=True,
        )


def wait_for_parts(proc: subprocess.Popen, out: Path, timeout: float = 60) -> None:
    """Until the render's encoder has its temporary files in the output folder."""
    deadline = time.monotonic() + timeout
    while not list(out.glob(".*.part")):
        assert proc.poll() is None, "the render ended before it was encoding"
        assert time.monotonic() < deadline, "the render never started encoding"
        time.sleep(0.01)


def test_ctrl_c_while_levelling_and_encoding_leaves_nothing(
    tmp_path: Path, long_cache: Path
) -> None:
    source, tmp = tmp_path / "talk.txt", tmp_path / "tmp"
    write_speech(source, LONG)
    env = temp_env(tmp)
    started = time.monotonic()
    tries = landed = 0
    # Every take is cached: the render spends its time levelling and encoding, and the signal
    # lands there at a different moment each time. Bounded: until it landed there 3 times, at
    # most 8 tries or 30 s (after 3 tries).
    while landed < 3 and (tries < 3 or (tries < 8 and time.monotonic() - started < 30)):
        out, log = tmp_path / f"out{tries}", tmp_path / f"render{tries}.log"
        proc = start_render(source, out, long_cache, env, log)
        wait_for_parts(proc, out)
        time.sleep(0.5 + 0.25 * tries)  # past reading the takes
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=60)
        stderr = log.read_text()
        assert code == 130, stderr
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        assert leftovers(out, tmp, long_cache) == [], f"try {tries}"
        assert not out.exists() or list(out.iterdir()) == []
        tries += 1
        # The progress display, drawn once at the end when stderr is no terminal, names the
        # stage the render was in.
        landed += "Levelling and encoding" in stderr
    print(f"{landed} of {tries} interrupts landed while levelling and encoding")
    assert landed >= 2, f"{landed} of {tries} interrupts landed while levelling and encoding"


def test_sigterm_while_encoding_stops_like_ctrl_c(tmp_path: Path, long_cache: Path) -> None:
    # `kill PID` (or a service manager, or `timeout`): the same clean stop as Ctrl-C.
    source, tmp, out = tmp_path / "talk.txt", tmp_path / "tmp", tmp_path / "out"
    write_speech(source, LONG)
    proc = start_render(source, out, long_cache, temp_env(tmp), tmp_path / "render.log")
    wait_for_parts(proc, out)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    stderr = (tmp_path / "render.log").read_text()
    assert code == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr_tail(stderr), stderr
    assert leftovers(out, tmp, long_cache) == []


def test_the_next_render_removes_a_killed_renders_leftovers_but_not_a_live_ones(
    tmp_path: Path, long_cache: Path
) -> None:
    source, tmp, out = tmp_path / "talk.txt", tmp_path / "tmp", tmp_path / "out"
    write_speech(source, LONG)
    env = temp_env(tmp)
    killed = start_render(source, out, long_cache, env, tmp_path / "killed.log")
    wait_for_parts(killed, out)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    stale = leftovers(out, tmp)
    assert any(".part" in p for p in stale) and any("tts-pipeline-" in p for p in stale), stale

    # A render that is alive (stopped, so its temporary files stay) while another one runs.
    live = start_render(source, out, long_cache, env, tmp_path / "live.log")
    try:
        while not set(leftovers(out, tmp)) - set(stale):
            assert live.poll() is None, (tmp_path / "live.log").read_text()
            time.sleep(0.01)
        os.killpg(live.pid, signal.SIGSTOP)
        time.sleep(0.2)  # files it was creating when stopped are there now
        its_own = set(leftovers(out, tmp)) - set(stale)
        following = run_cli(*render_args(source, out, long_cache), env=env, timeout=600)
        assert following.returncode == 0, following.stderr
        assert set(leftovers(out, tmp)) == its_own  # the killed render's gone, the live one's kept
    finally:
        os.killpg(live.pid, signal.SIGCONT)
    assert live.wait(timeout=120) == 0, (tmp_path / "live.log").read_text()
    assert leftovers(out, tmp, long_cache) == []
    assert decode_pcm(out / "talk.m4b")  # whole


def _can_mount_a_tmpfs() -> bool:
    """Whether a private mount namespace with a small tmpfs can be made here without extra
    privileges (a user namespace; root or not)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         "mount -t tmpfs -o size=16k tmpfs /tmp"],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_a_tmpfs(), reason="no user namespaces to mount a tmpfs in")
def test_a_full_temporary_folder_is_named_in_one_line(tmp_path: Path, long_cache: Path) -> None:
    # A real full file system: a 16 KB tmpfs as TMPDIR, in a mount namespace of the render's
    # own (no privileges needed, nothing mounted outside the test). Every take is cached.
    source, out, tmp = tmp_path / "talk.txt", tmp_path / "out", tmp_path / "tmp"
    write_speech(source, PARAGRAPHS[:3])
    tmp.mkdir()
    script = 'mount -t tmpfs -o size=16k tmpfs "$TMPDIR" && exec "$@"'
    full = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
         *COMMAND, *map(str, render_args(source, out, long_cache))],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )  # fmt: skip
    assert full.returncode == 5, full.stderr
    assert "Traceback" not in full.stderr
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "no space left" in last.lower(), full.stderr
    assert str(tmp) in last, last  # which folder is full, and that TMPDIR chooses it
    assert not out.exists() or list(out.iterdir()) == []
