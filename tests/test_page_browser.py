"""The listening page in a real headless Chromium, driven over the DevTools protocol.

Two short documents are rendered with the real offline engine through the CLI: a plain one with
four chapters, and a hostile one whose title, headings and paragraphs hold markup. The page is
loaded from file:// (and once from a static HTTP server); clicks and keys are real input events.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) at /usr/bin/chromium, or the path
in $TTS_PIPELINE_CHROMIUM. Without it these tests fail: they are the proof that the page works.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from tests.cli_tools import start_cli
from tts_pipeline.outputs.page.find import find_page

CHROMIUM = os.environ.get("TTS_PIPELINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--remote-debugging-port=0",
    "--window-size=1280,900",
)
TIMEOUT = 20.0

PLAIN = """朗读页面测试

同志们：今天我们召开会议。

第一，提高认识。全区安排资金XX亿元，大家要认真学习。

第二，狠抓落实。要为党育人、为国育才，把工作做细做实。

第三，加强领导。让我们共同努力！
"""
PWN_SCRIPT = "<script>window.__pwned=1</script>"
PWN_IMG = '"><img src=x onerror="window.__pwned=1">'
PWN_TEXTAREA = "</textarea>"
HOSTILE = f"""{PWN_SCRIPT}测试讲话

同志们：今天开会。{PWN_IMG}请注意。

第一，提高认识{PWN_TEXTAREA}。大家要努力学习。

第二，狠抓落实{PWN_SCRIPT}。要为党育人、为国育才。

第三，加强领导。']}}<!-- -->\u2028&amp;{PWN_TEXTAREA}结束。
"""
# A file name that must be percent-encoded in the page's relative URLs.
HOSTILE_NAME = 'hostile <b>&"#1'


class CDPError(RuntimeError):
    pass


class Browser:
    """A headless Chromium with one page, driven synchronously over the DevTools protocol."""

    def __init__(self, profile: Path, log: Path) -> None:
        if not Path(CHROMIUM).is_file():
            pytest.fail(
                f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) "
                "or set TTS_PIPELINE_CHROMIUM"
            )
        profile.mkdir(parents=True, exist_ok=True)
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.loop = asyncio.new_event_loop()
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            self.loop.run_until_complete(self._connect(port))
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, port_file: Path) -> int:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"Chromium exited with code {self.proc.returncode} at start")
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(port_file.read_text().split()[0])
            time.sleep(0.05)
        pytest.fail("Chromium did not open its DevTools port")

    async def _connect(self, port: int) -> None:
        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)

    async def _receive(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), TIMEOUT)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise CDPError(f"DevTools connection closed: {message.type}")
        data: dict[str, Any] = json.loads(message.data)
        return data

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        my_id = self._next_id
        await self.ws.send_json({"id": my_id, "method": method, "params": params})
        while True:
            message = await self._receive()
            if message.get("id") == my_id:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        # Each message has TIMEOUT; the deadline stops a stream of unrelated events.
        return self.loop.run_until_complete(
            asyncio.wait_for(self._call(method, params), 3 * TIMEOUT)
        )

    def wait_event(self, method: str) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                message = await self._receive()
                if "method" in message:
                    self.events.append(message)
                    if message["method"] == method:
                        return message

        for event in self.events:
            if event.get("method") == method:
                self.events.remove(event)
                return event
        return self.loop.run_until_complete(asyncio.wait_for(wait(), 3 * TIMEOUT))

    def js(self, expression: str) -> Any:
        """Evaluate in the page (promises awaited); the value, or CDPError on an exception."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    def goto(self, url: str) -> None:
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def click(self, selector: str) -> None:
        """A real left click (mouse events from the browser) in the middle of the element's
        first line (the bounding box of a wrapped sentence holds other sentences), once the
        page has stopped scrolling (a smooth scroll started by an earlier click moves it)."""
        where = (
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center', behavior: 'instant'});"
            " const r = e.getClientRects()[0];"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        box, deadline = self.js(where), time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.15)
            again = self.js(where)
            if again == box:
                break
            box = again
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def press(self, key: str) -> None:
        codes = {
            " ": ("Space", 32),
            "ArrowLeft": ("ArrowLeft", 37),
            "ArrowRight": ("ArrowRight", 39),
        }
        code, key_code = codes[key]
        text = {"text": key} if key == " " else {}
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                windowsVirtualKeyCode=key_code,
                **(text if kind == "keyDown" else {}),
            )

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and blocked loads (CSP) seen so far."""
        self.js("0")  # collect pending events
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"], ensure_ascii=False))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
            elif method == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(json.dumps(params["args"], ensure_ascii=False))
        return found

    def close(self) -> None:
        async def shutdown() -> None:
            if getattr(self, "ws", None) is not None:
                await self.ws.close()
            if getattr(self, "session", None) is not None:
                await self.session.close()

        with contextlib.suppress(Exception):
            self.loop.run_until_complete(shutdown())
        self.loop.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium-profile", tmp_path / "chromium.log")
    try:
        b.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both documents rendered with the real offline engine (at the same time), via the CLI.
    Returns the page of each."""
    root = tmp_path_factory.mktemp("page-browser")
    docs = {"plain": ("plain", PLAIN), "hostile": (HOSTILE_NAME, HOSTILE)}
    procs = {}
    started = time.monotonic()
    for key, (stem, text) in docs.items():
        source = root / f"{stem}.txt"
        source.write_text(text, encoding="utf-8")
        procs[key] = start_cli(
            "render",
            source,
            "-o",
            root / key,
            "--no-cache",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    pages = {}
    try:
        for key, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=300)
            assert proc.returncode == 0, stderr
            page = root / key / f"{docs[key][0]}.html"
            assert page.is_file(), stdout
            assert f"listen: {page.resolve().as_uri()}" in stdout
            pages[key] = page
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()  # wait(), not communicate(): its workers may hold the pipes open
                proc.wait(30)
    print(f"rendered both documents in {time.monotonic() - started:.1f} s")
    return pages


def manifest_of(page: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        page.with_name(page.name.removesuffix(".html") + ".manifest.json").read_text("utf-8")
    )
    return data


def open_page(browser: Browser, url: str) -> None:
    browser.goto(url)
    browser.wait_for("document.getElementById('player').readyState >= 1")  # metadata loaded


def active_cue(browser: Browser) -> int | None:
    value = browser.js(
        "(() => { const on = document.querySelectorAll('.s.on');"
        " return on.length === 1 ? Number(on[0].dataset.cue) : on.length ? -on.length : null; })()"
    )
    assert value is None or value >= 0, f"{-value} sentences highlighted at once"
    return value


def player(browser: Browser, prop: str) -> Any:
    return browser.js(f"document.getElementById('player').{prop}")


def current_time(browser: Browser) -> float:
    return float(player(browser, "currentTime"))


def current_chapter(browser: Browser) -> int:
    items = browser.js("[...document.querySelectorAll('#chapter-list li')].map(li => li.className)")
    assert items.count("current") == 1, items
    return int(items.index("current"))


def test_chapters_highlight_and_keys(
    browser: Browser, rendered: dict[str, Path], tmp_path: Path
) -> None:
    page = rendered["plain"]
    manifest = manifest_of(page)
    chapters, cues = manifest["chapters"], manifest["cues"]
    assert len(chapters) >= 4
    open_page(browser, page.resolve().as_uri())
    assert browser.problems() == []
    assert browser.js("document.querySelectorAll('#chapter-list button').length") == len(chapters)
    assert browser.js("document.querySelectorAll('.s').length") == len(cues)
    assert abs(player(browser, "duration") - manifest["duration"]) < 0.1

    # The third chapter: the player jumps to its start; its first sentence lights up.
    third = chapters[2]
    browser.click("#chapter-list li:nth-child(3) button")
    assert abs(current_time(browser) - third["start"]) <= 0.1
    first = next(c["index"] for c in cues if c["start"] >= third["start"] - 1e-6)
    assert active_cue(browser) == first
    assert current_chapter(browser) == 2

    # Play (space), and stop while a sentence is being spoken: that sentence is highlighted.
    for _attempt in range(20):
        before = current_time(browser)
        browser.press(" ")
        # Really playing: the time runs (a timeout here means the audio does not play).
        browser.wait_for(f"document.getElementById('player').currentTime > {before + 0.5}")
        browser.press(" ")
        browser.wait_for("document.getElementById('player').paused")
        now = current_time(browser)
        containing = [c["index"] for c in cues if c["start"] <= now < c["end"]]
        if containing:
            assert active_cue(browser) == containing[0], (now, containing)
            break
    else:
        pytest.fail("never stopped inside a sentence")
    playing_cue = containing[0]

    # → next sentence, ← back to it again.
    browser.press("ArrowRight")
    assert abs(current_time(browser) - cues[playing_cue + 1]["start"]) <= 0.01
    assert active_cue(browser) == playing_cue + 1
    browser.press("ArrowLeft")
    assert abs(current_time(browser) - cues[playing_cue]["start"]) <= 0.01
    assert active_cue(browser) == playing_cue

    # Clicking a sentence seeks to it.
    browser.click('.s[data-cue="1"]')
    assert abs(current_time(browser) - cues[1]["start"]) <= 0.01
    assert active_cue(browser) == 1

    # The placeholder is marked with what was said instead.
    tips = browser.js(
        "[...document.querySelectorAll('.ph')].map(e => [e.textContent, e.dataset.tip])"
    )
    assert ["XX", "spoken as 若干"] in tips
    # The overview picture loaded and the playhead follows the audio.
    assert browser.js("document.getElementById('overview-image').naturalWidth") == 1200
    assert not browser.js("document.getElementById('overview').hidden")

    assert browser.problems() == []
    browser.js("window.scrollTo(0, 0)")
    browser.screenshot(tmp_path / "page.png")


def test_hostile_document_runs_nothing(
    browser: Browser, rendered: dict[str, Path], tmp_path: Path
) -> None:
    page = rendered["hostile"]
    manifest = manifest_of(page)
    open_page(browser, page.resolve().as_uri())  # also: the odd file name is a working URL
    browser.press(" ")
    browser.wait_for("document.getElementById('player').currentTime > 0.3")
    browser.press(" ")
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.scripts.length") == 2  # the data block and the page's own code
    images = browser.js("[...document.images].map(i => i.id)")
    assert images == ["overview-image"]
    assert browser.js("document.title") == manifest["title"]
    assert manifest["title"].startswith(PWN_SCRIPT)
    text = browser.js("document.body.innerText")
    for hostile in (PWN_SCRIPT, PWN_IMG, PWN_TEXTAREA, "']}<!-- -->"):
        assert hostile in text
    chapters = browser.js("document.getElementById('chapter-list').innerText")
    assert PWN_TEXTAREA in chapters and PWN_SCRIPT in chapters
    assert browser.problems() == []
    browser.screenshot(tmp_path / "hostile.png")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_page_from_a_static_web_server(
    browser: Browser, rendered: dict[str, Path], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(rendered["hostile"].parent, site)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        from urllib.parse import quote

        open_page(browser, f"http://127.0.0.1:{port}/{quote(HOSTILE_NAME)}.html")
        assert browser.wait_for("document.getElementById('overview-image').naturalWidth") == 1200
        # http.server ignores range requests: the page loads the whole file to make it seekable.
        browser.wait_for("document.getElementById('player').src.startsWith('blob:')")
        start = manifest_of(rendered["hostile"])["cues"][2]["start"]
        browser.click('.s[data-cue="2"]')
        assert abs(current_time(browser) - start) <= 0.01
        assert active_cue(browser) == 2
        browser.press(" ")
        browser.wait_for(f"document.getElementById('player').currentTime > {start + 0.3}")
        browser.press(" ")
        assert browser.js("typeof window.__pwned") == "undefined"
        assert browser.problems() == []
    finally:
        server.shutdown()
        server.server_close()


def test_chapter_files_play_as_one_programme(browser: Browser, tmp_path: Path) -> None:
    """Only the chapters' files (--split chapters): the page shows the whole document and plays
    the files one after another, each time on the page being the programme's."""
    source = tmp_path / "plain.txt"
    source.write_text(PLAIN, encoding="utf-8")
    out = tmp_path / "out"
    proc = start_cli(
        "render", source, "-o", out, "--cache-dir", tmp_path / "cache", "--split", "chapters",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    page = out / "plain.html"
    manifest = manifest_of(page)
    parts, cues = manifest["chapter_files"], manifest["cues"]
    assert not (out / "plain.m4b").exists() and len(parts) == len(manifest["chapters"]) >= 4
    # `tts-pipeline open` finds the page from a chapter's file or the playlist.
    for name in (parts[1]["files"]["m4b"], parts[1]["files"]["srt"], "plain.m3u8"):
        assert find_page(out / name) == page, name
    open_page(browser, page.resolve().as_uri())
    assert player(browser, "currentSrc").endswith(quote(parts[0]["files"]["m4b"]))
    assert browser.js("document.querySelectorAll('.s').length") == len(cues)

    # A chapter from the list: its own file, from its start.
    browser.click("#chapter-list li:nth-child(3) button")
    browser.wait_for("document.getElementById('player').dataset.part === '2'")
    assert player(browser, "currentSrc").endswith(quote(parts[2]["files"]["m4b"]))
    browser.wait_for("document.getElementById('player').readyState >= 1")
    assert current_time(browser) <= 0.05
    assert current_chapter(browser) == 2

    # A sentence of the second chapter: that file, at the sentence's time in it.
    second = [c for c in cues if parts[1]["start"] <= c["start"] < parts[1]["end"]]
    cue = second[-1]
    browser.click(f'.s[data-cue="{cue["index"]}"]')
    browser.wait_for("document.getElementById('player').dataset.part === '1'")
    at = cue["start"] - parts[1]["start"]
    browser.wait_for(f"Math.abs(document.getElementById('player').currentTime - {at}) < 0.02")
    assert active_cue(browser) == cue["index"]

    # Played to the end of the file, the next one plays on.
    browser.press(" ")
    browser.wait_for("document.getElementById('player').dataset.part === '2'", timeout=30)
    browser.wait_for("document.getElementById('player').currentTime > 0.2")
    browser.press(" ")
    assert current_chapter(browser) == 2
    assert browser.problems() == []
