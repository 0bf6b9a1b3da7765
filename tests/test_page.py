"""The listening page and the overview picture, without a browser: escaping, the embedded data,
the PNG, render/CLI wiring (--no-page, open). The page in a real browser: test_page_browser.py."""

from __future__ import annotations

import base64
import hashlib
import html
import importlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.audio_tools import SR, SyntheticEngine, noise, silence
from tests.cli_tools import cli, run_cli
from tts_pipeline.audio.envelope import Envelope, GrowingEnvelope
from tts_pipeline.engines.base import Take
from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs import overview
from tts_pipeline.outputs.manifest import Manifest, ManifestChapter, ManifestCue, ManifestUtterance
from tts_pipeline.outputs.manifest_reader import read_manifest
from tts_pipeline.outputs.page import find
from tts_pipeline.outputs.page import html as page_html
from tts_pipeline.outputs.page import model as page_model
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.text.chrome import RemovedLine
from tts_pipeline.voices import load_profile

render_module = importlib.import_module("tts_pipeline.render")  # (tts_pipeline.render: the API)
COLUMNS = overview.LAYOUT.columns

HOSTILE = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "</textarea>",
    "<!-- -->",
    "</script >",
    "]]>\u2028\u2029&amp;&lt;",
]
DOCUMENT = """第一届测试大会讲话

同志们：今天开会。全区投入XX亿元，占XX%。

第一，提高认识。大家要努力学习。第二句话在这里。

第二，狠抓落实<script>alert(1)</script>。要为党育人。

第三，加强领导。谢谢大家！
"""


def tone_take(text: str, index: int) -> Take:
    """Noise bursts, one per sentence mark, so every utterance has voice and length."""
    parts = [silence(0.1)]
    for k in range(max(1, sum(text.count(m) for m in "。！？"))):
        parts += [noise(0.4, -20, seed=index * 10 + k), silence(0.15)]
    return Take(np.concatenate(parts), SR, engine="synthetic", voice="test")


def render_doc(tmp_path: Path, text: str = DOCUMENT, **settings: Any) -> dict[str, Any]:
    source = tmp_path / "talk.txt"
    source.write_text(text, encoding="utf-8")
    options = RenderSettings(
        voice=load_profile(None), output_dir=tmp_path / "out", use_cache=False, **settings
    )
    result = render(source, options, store=MemoryStore(), engine=SyntheticEngine(tone_take))
    manifest = json.loads(result.outputs["manifest"].read_text("utf-8"))
    return {"outputs": result.outputs, "manifest": manifest}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return render_doc(tmp_path_factory.mktemp("page"))


def embedded(document: str) -> tuple[str, Any]:
    """The JSON text inside the page's data block, and its value."""
    match = re.search(
        r'<script type="application/json" id="page-data">(.*?)</script>', document, re.S
    )
    assert match, "no data block"
    return match.group(1), json.loads(match.group(1))


def manifest_of(
    *,
    title: str = "T",
    language: str = "",
    duration: float = 0.0,
    outputs: dict[str, str] | None = None,
    chapters: tuple[ManifestChapter, ...] = (),
    utterances: tuple[ManifestUtterance, ...] = (),
    cues: tuple[ManifestCue, ...] = (),
    removed: tuple[RemovedLine, ...] = (),
) -> Manifest:
    """A manifest with the parts the page shows (the rest as a render would leave it)."""
    return Manifest(
        title=title,
        language=language,
        source="talk.txt",
        duration=duration,
        sample_rate=SR,
        voice=load_profile(None),
        outputs=outputs or {},
        tags=Tags(title),
        loudness=None,
        chapters=chapters,
        utterances=utterances,
        cues=cues,
        removed=removed,
        placeholders=(),
    )


def utterance(
    uid: str, text: str, start: float, end: float, paragraph: int = 0
) -> ManifestUtterance:
    return ManifestUtterance(
        uid, 0, paragraph, "body", start, end, 0.8, text, text, "e", "v", start, end, None
    )


def hostile_model() -> dict[str, Any]:
    text = "".join(HOSTILE)
    manifest = manifest_of(
        title=text,
        language='zh-CN"><script>',
        duration=3.0,
        outputs={"m4b": f"{text}.m4b", "overview": f"{text}.png", "manifest": "x.manifest.json"},
        chapters=(ManifestChapter(0, text, 0.0, 3.0),),
        utterances=(utterance("u1", text, 0.0, 3.0),),
        cues=(ManifestCue(0, "u1", 0.1, 2.9, text),),
        removed=(RemovedLine(text, text),),
    )
    return page_model.page_model(manifest)


# ---------------------------------------------------------------------------------------------
# Escaping


def test_script_json_escapes_what_could_end_or_confuse_the_script_element() -> None:
    data = {"t": HOSTILE, "k<>&\u2028": 1}
    text = page_html.script_json(data)
    for ch in "<>&\u2028\u2029":
        assert ch not in text
    assert "\\u003c/script\\u003e" in text
    assert json.loads(text) == data  # the escapes mean the same characters to a JSON parser


def test_document_text_never_reaches_the_markup_unescaped() -> None:
    document = page_html.render_page(hostile_model())
    # Exactly the page's own two script elements, and nothing else that could run or load.
    assert document.count("<script") == 2
    assert document.lower().count("</script") == 2
    # Document text appears in two places only: the data block and the escaped <title>.
    raw, _ = embedded(document)
    title = re.search(r"<title>(.*?)</title>", document, re.S)
    assert title and html.unescape(title.group(1)) == "".join(HOSTILE)
    assert "<" not in title.group(1) and ">" not in title.group(1)
    rest = document.replace(raw, "").replace(title.group(1), "")
    assert "pwned" not in rest and "textarea" not in rest and "]]" not in rest
    assert '<html lang="und">' in document  # a language tag that is not one is dropped
    raw, value = embedded(document)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert value["title"] == "".join(HOSTILE)
    assert value["blocks"][0]["pieces"][0]["text"] == "".join(HOSTILE)


def test_the_page_script_builds_text_with_text_content_only() -> None:
    script = (Path(page_html.__file__).parent / "assets" / "page.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "new Function" not in script and "setAttribute" not in script


def test_csp_allows_exactly_the_inline_script_and_style() -> None:
    document = page_html.render_page(hostile_model())
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', document).group(1)
    )
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    script = re.search(r"<script>(.*?)</script>", document, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", document, re.S).group(1)

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert directives["script-src"] == sha(script)
    assert directives["style-src"] == sha(style)
    assert directives["media-src"].split() == ["'self'", "file:", "blob:"]
    assert directives["img-src"].split() == ["'self'", "file:", "data:"]
    assert directives["base-uri"] == "'none'"


def test_file_names_become_relative_urls() -> None:
    assert page_model.url_of('a b#1?x=%"<.m4b') == "a%20b%231%3Fx%3D%25%22%3C.m4b"
    assert page_model.url_of("讲话.m4b") == "%E8%AE%B2%E8%AF%9D.m4b"
    model = hostile_model()
    assert model["audio"]["type"] == "audio/mp4"
    assert "<" not in model["audio"]["src"] and "/" not in model["audio"]["src"]


def test_the_first_audio_format_plays() -> None:
    outputs = {"overview": "a.png", "mp3": "a.mp3", "m4b": "a.m4b", "manifest": "a.json"}
    assert page_model.audio_output(outputs) == ("a.mp3", "audio/mpeg")
    assert page_model.audio_output({"manifest": "a.json"}) is None


# ---------------------------------------------------------------------------------------------
# What the page shows


def test_transcript_is_the_original_text_cut_into_the_manifest_cues(rendered) -> None:
    manifest = rendered["manifest"]
    document = rendered["outputs"]["page"].read_text("utf-8")
    _, model = embedded(document)
    # Every cue, in order, with the manifest's times.
    assert [(c["start"], c["end"]) for c in model["cues"]] == [
        (c["start"], c["end"]) for c in manifest["cues"]
    ]
    indices = [p["cue"] for b in model["blocks"] for p in b["pieces"] if p["cue"] is not None]
    assert indices == list(range(len(manifest["cues"])))
    texts = {p["cue"]: p["text"] for b in model["blocks"] for p in b["pieces"]}
    assert [texts[c["index"]] for c in manifest["cues"]] == [c["text"] for c in manifest["cues"]]
    # Paragraph by paragraph, the written text exactly (not the spoken one).
    written = "".join(u["text"] for u in manifest["utterances"])
    assert "".join(p["text"] for b in model["blocks"] for p in b["pieces"]) == written
    assert "XX亿元" in written and "若干" not in written
    assert [c["title"] for c in model["chapters"]] == [c["title"] for c in manifest["chapters"]]
    assert model["audio"] == {"src": "talk.m4b", "type": "audio/mp4", "name": "talk.m4b"}
    assert model["overview"]["src"] == "talk.png"
    assert model["title"] == manifest["title"] == "第一届测试大会讲话"


def test_placeholders_are_marked_with_what_was_said(rendered) -> None:
    _, model = embedded(rendered["outputs"]["page"].read_text("utf-8"))
    marks = [
        (p["text"][m["start"] : m["end"]], m["spoken"])
        for b in model["blocks"]
        for p in b["pieces"]
        for m in p.get("marks", [])
    ]
    assert ("XX", "若干") in marks
    assert any(written.startswith("XX") and "若干" in said for written, said in marks[1:])
    assert model["placeholders"] == len(rendered["manifest"]["placeholders"]) >= 2


def test_chapter_openings_are_run_in_headings(rendered) -> None:
    _, model = embedded(rendered["outputs"]["page"].read_text("utf-8"))
    opening = [b for b in model["blocks"] if b.get("lead")]
    assert len(opening) == 3  # 第一 / 第二 / 第三 open their chapters; the opening has a label
    first = opening[0]
    assert "".join(p["text"] for p in first["pieces"])[: first["lead"]] == "第一，提高认识"


def test_utterances_of_one_paragraph_are_one_block() -> None:
    # The pieces of a split paragraph share its chapter and paragraph in the manifest.
    manifest = manifest_of(
        duration=5.0,
        chapters=(ManifestChapter(0, "Opening", 0.0, 5.0),),
        utterances=(
            utterance("a", "One.", 0.0, 1.0, paragraph=1),
            utterance("b", "Two.", 1.0, 2.0, paragraph=1),
            utterance("c", "句一。", 2.0, 3.0, paragraph=2),
            utterance("d", "句二。", 3.0, 4.0, paragraph=2),
            utterance("e", "Three.", 4.0, 5.0, paragraph=3),
        ),
    )  # rendered without subtitles: each utterance is one sentence
    shown = page_model.page_model(manifest)
    assert ["".join(p["text"] for p in b["pieces"]) for b in shown["blocks"]] == [
        "One. Two.",
        "句一。句二。",
        "Three.",
    ]
    assert shown["cues"] == [{"start": float(i), "end": float(i + 1)} for i in range(5)]
    assert shown["audio"] is None and shown["overview"] is None


def test_a_paragraph_split_by_the_render_is_one_block(tmp_path: Path) -> None:
    # The render splits a long paragraph into pieces (utterances); the page shows it whole.
    source = tmp_path / "long.txt"
    long_paragraph = "。".join(
        f"第{i}句话说的是一件很长很长的事情，要一直说下去" for i in range(40)
    )
    source.write_text(f"标题\n\n{long_paragraph}。\n\n谢谢大家！\n", encoding="utf-8")
    result = render(
        source,
        RenderSettings(voice=load_profile(None), output_dir=tmp_path / "out", use_cache=False),
        store=MemoryStore(),
        engine=SyntheticEngine(tone_take),
    )
    manifest = read_manifest(result.outputs["manifest"])
    pieces = [u for u in manifest.utterances if u.text and u.text in long_paragraph + "。"]
    assert len(pieces) > 1  # split
    assert len({(u.chapter, u.paragraph) for u in pieces}) == 1
    _json, shown = embedded(result.outputs["page"].read_text("utf-8"))
    texts = ["".join(p["text"] for p in b["pieces"]) for b in shown["blocks"]]
    assert f"{long_paragraph}。" in texts


def test_flagged_utterances_mark_their_sentences() -> None:
    manifest = manifest_of(
        duration=3.0,
        utterances=tuple(
            utterance(u, "句一。句二。", float(i), i + 1.0, paragraph=i)
            for i, u in enumerate("abc")
        ),
        cues=tuple(
            ManifestCue(2 * i + k, u, i + k / 2, i + (k + 1) / 2, t)
            for i, u in enumerate("abc")
            for k, t in enumerate(("句一。", "句二。"))
        ),
    )
    flag = page_model.PageFlag(cer=0.9, heard="第一", differences=(("句一句二", "第一"),))
    model = page_model.page_model(manifest, flags={"b": flag})
    assert model["flags"] == [
        {"utterance": "b", "cer": 0.9, "heard": "第一", "differences": [["句一句二", "第一"]]}
    ]
    marked = [p["cue"] for b in model["blocks"] for p in b["pieces"] if "flag" in p]
    assert marked == [2, 3]  # both sentences of b, nothing of a or c
    assert page_model.page_model(manifest)["flags"] == []


# ---------------------------------------------------------------------------------------------
# The overview picture


def test_envelope_from_chunks_equals_the_whole_signal() -> None:
    rng = np.random.default_rng(7)
    total, columns = 50_000, 300
    samples = (rng.standard_normal(total) * 5000).clip(-32768, 32767).astype("<i2")
    envelope = Envelope(total, columns)
    data, at = samples.tobytes(), 0
    while at < len(data):  # chunks of odd sizes, like takes and pauses
        size = 2 * int(rng.integers(1, 4000))
        list(envelope.tap([data[at : at + size]]))
        at += size
    column = np.arange(total) * columns // total
    values = samples.astype(np.float32) / 32768
    for c in (0, 1, 150, columns - 1):
        inside = values[column == c]
        assert envelope.low[c] == min(inside.min(), 0) and envelope.high[c] == max(inside.max(), 0)
        assert envelope.rms[c] == pytest.approx(np.sqrt(np.mean(inside.astype(float) ** 2)))
    assert envelope.fed == total


def test_overview_png_size_content_and_numbers_without_a_cjk_font(tmp_path: Path) -> None:
    envelope = Envelope(SR * 10, COLUMNS)
    envelope.feed((noise(10, -12) * 32767).astype("<i2").tobytes())
    chapters = [
        overview.ChapterSpan("开场白", 0, 3),
        overview.ChapterSpan("第一，提高认识", 3, 7),
        overview.ChapterSpan("Closing", 7, 10),
    ]
    image = overview.draw(envelope, chapters, 10.0, cjk_font=None)
    assert image.size == (1200, 300)
    pixels = np.asarray(image)
    wave = pixels[overview.LAYOUT.wave_top : overview.LAYOUT.wave_bottom]
    assert (wave == overview.RMS).all(axis=-1).sum() > 20_000  # the waveform is drawn
    assert (pixels == overview.BADGE).all(axis=-1).sum() > 3 * 200  # three numbered badges
    # Without a CJK font the Chinese titles are left out; the Latin one is drawn.
    labels = pixels[: overview.LAYOUT.wave_top]
    x3 = round(overview.LAYOUT.x(7, 10))
    title_ink = (labels < 80).all(axis=-1)  # title text; chapter lines and badges are lighter
    assert title_ink[:, x3 + 40 : x3 + 140].any()
    assert not title_ink[:, : x3 - 4].any()


def test_overview_png_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    envelope = Envelope(SR, COLUMNS)
    envelope.feed((noise(1, -20) * 32767).astype("<i2").tobytes())
    chapters = [overview.ChapterSpan("开场白", 0, 0.5), overview.ChapterSpan("结束语", 0.5, 1)]
    monkeypatch.setattr(overview, "find_cjk_font", lambda: None)
    path = tmp_path / "o.png"
    png, titled = overview.overview_png(envelope, chapters, 1.0)
    assert titled is False  # numbers only
    path.write_bytes(png)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1200, 300)
    assert len(png) > 1000
    assert overview.overview_png(envelope, chapters[:0], 1.0)[1] is True


def test_overview_uses_a_cjk_font_when_there_is_one(tmp_path: Path) -> None:
    font = overview.find_cjk_font()
    if font is None:
        assert not overview._fontconfig("fc-list", ":lang=zh")
        return  # nothing to draw Chinese with on this machine: covered by the test above
    envelope = Envelope(SR, COLUMNS)
    chapters = [overview.ChapterSpan("开场白", 0, 1)]
    with_titles = np.asarray(overview.draw(envelope, chapters, 1.0, cjk_font=font))
    without = np.asarray(overview.draw(envelope, chapters, 1.0, cjk_font=None))
    assert (with_titles != without).any()


def test_render_writes_page_and_overview_from_the_stream(rendered) -> None:
    outputs, manifest = rendered["outputs"], rendered["manifest"]
    assert manifest["outputs"]["page"] == "talk.html"
    assert manifest["outputs"]["overview"] == "talk.png"
    assert outputs["page"].is_file() and outputs["overview"].is_file()
    assert stat.S_IMODE(outputs["page"].stat().st_mode) & 0o044  # readable by a web server
    with Image.open(outputs["overview"]) as image:
        assert image.size == (1200, 300)
    names = {p.name for p in outputs["page"].parent.iterdir()}
    assert names == set(manifest["outputs"].values())


def test_no_page(tmp_path: Path) -> None:
    result = render_doc(tmp_path, page=False)
    assert "page" not in result["outputs"] and "overview" not in result["outputs"]
    assert "page" not in result["manifest"]["outputs"]
    assert not list((tmp_path / "out").glob("*.html")) and not list(
        (tmp_path / "out").glob("*.png")
    )


# ---------------------------------------------------------------------------------------------
# The command line


@pytest.mark.parametrize("flag", [None, "--no-page"])
def test_cli_render_page_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str | None
) -> None:
    """The real `render` command, with synthetic takes instead of the offline voice (fast)."""
    real_render = render_module.render

    def synthetic_render(source: Path, settings: RenderSettings, **kwargs: Any) -> Any:
        kwargs.update(store=MemoryStore(), engine=SyntheticEngine(tone_take))
        return real_render(source, settings, **kwargs)

    monkeypatch.setattr(render_module, "render", synthetic_render)
    source = tmp_path / "t.txt"
    source.write_text(DOCUMENT, encoding="utf-8")
    out_dir = tmp_path / "o"
    code, stdout, stderr = cli("render", str(source), "-o", str(out_dir), *([flag] if flag else []))
    assert code == 0, stderr
    assert (out_dir / "t.m4b").is_file()
    html_page, png = out_dir / "t.html", out_dir / "t.png"
    if flag:
        assert not html_page.exists() and not png.exists()
        assert "listen:" not in stdout
    else:
        assert html_page.is_file() and png.is_file()
        assert f"listen: {html_page.resolve().as_uri()}" in stdout.splitlines()


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "error: nothing to open: "),
        ("directory", "error: nothing to open: "),
        ("no-page", "error: no listening page for "),
        ("bad-manifest", "error: cannot read the manifest "),
    ],
)
def test_open_errors_are_one_line(tmp_path: Path, case: str, message: str) -> None:
    target = {
        "missing": tmp_path / "nope.m4b",
        "directory": tmp_path,
        "no-page": tmp_path / "talk.m4b",
        "bad-manifest": tmp_path / "talk.manifest.json",
    }[case]
    if case in ("no-page", "bad-manifest"):
        (tmp_path / "talk.m4b").write_bytes(b"audio")
        (tmp_path / "talk.manifest.json").write_text(
            "{not json" if case == "bad-manifest" else '{"outputs": {"m4b": "talk.m4b"}}'
        )
    code, stdout, stderr = cli("open", str(target))
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), stderr
    assert stdout == ""


def test_open_finds_the_page_of_any_output(rendered, tmp_path: Path) -> None:
    outputs = rendered["outputs"]
    expected = outputs["page"]
    for given in ("page", "m4b", "manifest", "srt", "chapters_vtt", "overview"):
        assert find.find_page(outputs[given]) == expected, given
    assert find.find_page(expected.parent) == expected  # the only page in that directory
    # The browser named in $BROWSER is started with the page's file:// URL.
    record = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{record}"\n')
    browser.chmod(0o755)
    # A real process: the standard library picks the browser from $BROWSER.
    result = run_cli("open", outputs["m4b"], env={**os.environ, "BROWSER": f"{browser} %s"})
    assert result.returncode == 0, result.stderr
    assert record.read_text() == expected.resolve().as_uri()
    assert result.stdout.strip() == expected.resolve().as_uri()


def test_open_without_a_browser(rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(find.webbrowser, "open", lambda url: False)
    with pytest.raises(PipelineError, match="no web browser could be started; open file://"):
        find.open_page(rendered["outputs"]["page"])


@pytest.mark.parametrize("seconds", [0.5, 7.0, 95.0])
def test_growing_envelope_matches_the_one_of_known_length(seconds: float) -> None:
    # The production does not know the programme's length until it ends; its envelope (bins
    # merged in pairs as the programme grows) must draw what an envelope of known length draws.
    rng = np.random.default_rng(7)
    total = int(seconds * SR)
    samples = (rng.normal(0, 0.1, total) * np.sin(np.arange(total) / 4000.0)).astype(np.float32)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    exact = Envelope(total, COLUMNS)
    exact.feed(pcm)
    growing = GrowingEnvelope(COLUMNS)
    cuts = np.sort(rng.integers(0, total, 40)) * 2
    for chunk in np.split(np.frombuffer(pcm, dtype=np.uint8), cuts):
        growing.feed(chunk.tobytes())
    assert len(growing._low) <= growing.max_bins  # memory stays bounded
    assert growing.bin > 1 or total < growing.max_bins  # (bins were merged when needed)
    drawn = growing.envelope()
    assert drawn.total == total and int(drawn._counts.sum()) == total
    assert drawn.low.min() == exact.low.min() and drawn.high.max() == exact.high.max()
    # A bin goes to the column of its first sample: a column may gain or lose at most one bin
    # at its edges, so its extremes lie within those of its neighbours and itself.
    for c in range(exact.columns):
        near = slice(max(0, c - 1), c + 2)
        assert exact.low[near].min() <= drawn.low[c] and drawn.high[c] <= exact.high[near].max()
    # Every sample's energy is counted once, and the loudness contour is the same.
    assert np.isclose(drawn._squares.sum(), exact._squares.sum(), rtol=1e-9)
    smooth = np.ones(5) / 5  # over a few columns (bins straddle column edges)
    contour = np.corrcoef(np.convolve(drawn.rms, smooth), np.convolve(exact.rms, smooth))
    assert contour[0, 1] > 0.95
