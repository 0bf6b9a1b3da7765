"""Every way a speech comes in: Word files and saved web pages made here with the real libraries
(python-docx, a page read by trafilatura), standard input, and formats sniffed from content.
The renders run the real offline engine and read the chapters back from the M4B."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from mutagen.mp4 import MP4

from tests.cli_tools import run_cli
from tts_pipeline.errors import InputError
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.text.document import load_document
from tts_pipeline.text.docx_reader import format_number
from tts_pipeline.text.sources import read_source

# ---------------------------------------------------------------------------------------------
# Documents made by the tests

TITLE = "在公司年度总结表彰大会上的讲话"


def chinese_numbering(document: docx.document.Document) -> str:
    """Add a list definition Word would write for 一、 / ① numbering; returns its numId."""
    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedCircle"/>'
        '<w:lvlText w:val="%2"/></w:lvl></w:abstractNum>'
    )
    numbering.insert(0, abstract)  # abstract definitions come before the numbers that use them
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    )
    return "90"


def numbered(document: docx.document.Document, text: str, num_id: str, level: int = 0) -> None:
    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/>'
            "</w:numPr>"
        )
    )


def text_box(document: docx.document.Document, text: str) -> None:
    """A paragraph holding a (VML) text box, as older Word and WPS files have."""
    run = parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape>'
        f"<v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
        "</v:textbox></v:shape></w:pict></w:r>"
    )
    document.add_paragraph()._p.append(run)


def heading_styled_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph("各位同事：")
    document.add_paragraph("过去一年，大家辛苦了。今天我们在这里总结工作、表彰先进。")
    document.add_heading("回顾成绩", level=1)
    document.add_paragraph("营收稳步增长。", style="List Number")
    document.add_paragraph("团队不断壮大。", style="List Number")
    document.add_heading("展望未来", level=1)
    document.add_heading("一个小标题", level=2)
    document.add_paragraph("新的一年，我们要坚持创新，服务好每一位客户。")
    grid = document.add_table(rows=2, cols=2)
    grid.cell(0, 0).text, grid.cell(0, 1).text = "指标", "完成"
    grid.cell(1, 0).text, grid.cell(1, 1).text = "营收", "110%"
    text_box(document, "扫码关注我们")
    document.add_paragraph("谢谢大家！")
    document.save(str(path))
    return path


def numbered_sections_docx(path: Path) -> Path:
    """No heading styles: sections numbered by a Word list (一、二、) with ① items inside,
    and the whole speech in a one-column layout table, as pages pasted into Word come."""
    document = docx.Document()
    document.add_paragraph("在全县春季植树造林动员大会上的讲话")
    num = chinese_numbering(document)
    document.add_paragraph("同志们：")
    document.add_paragraph("今天召开全县春季植树造林动员大会，主要任务是部署今年的植树工作。")
    numbered(document, "提高认识，增强责任感。", num)
    numbered(document, "抓好苗木调运。", num, level=1)
    numbered(document, "做好技术指导。", num, level=1)
    numbered(document, "突出重点，确保成活率。", num)
    layout = document.add_table(rows=1, cols=1)
    layout.cell(0, 0).text = "总之，植树造林功在当代，利在千秋。"
    document.add_paragraph("谢谢大家！")
    document.save(str(path))
    return path


SAVED_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>在全镇秋季安全生产工作会议上的讲话_讲话稿_青禾范文网</title></head>
<body>
<header><div class="logo">青禾范文网</div><div class="user"><a>注册</a> | <a>登录</a></div>
<nav><a>首页</a> <a>范文大全</a> <a>讲话稿</a> <a>工作总结</a> <a>心得体会</a></nav></header>
<div class="crumb">当前位置：<a>青禾范文网</a> &gt; <a>公文范文</a> &gt;
<a>讲话稿</a> &gt; 正文</div>
<main><article>
<h1>在全镇秋季安全生产工作会议上的讲话</h1>
<div class="info">时间：2024-09-11 08:30:15 来源：网友投稿 浏览：1288次</div>
<p>下面是小编为大家整理的在全镇秋季安全生产工作会议上的讲话，供大家参考。</p>
<p>在全镇秋季安全生产工作会议上的讲话</p>
<p>同志们：</p>
<p>今天召开这次会议，主要是分析当前安全生产形势，部署秋季各项防范工作。刚才，几位同志作了发言，讲得都很好。</p>
<h2>一、思想上再重视</h2>
<p>安全生产事关群众生命财产，任何时候都不能松劲，任何环节都不能马虎。</p>
<h2>二、隐患上再排查</h2>
<p>各村各企业要对照清单，逐项过一遍，发现一处整改一处。</p>
<p>谢谢大家！</p>
<p>（阅读全部图文内容，您需要先登录！）</p>
</article></main>
<div class="pn"><p>上一篇：在村级换届工作推进会上的讲话</p>
<p>下一篇：在全镇防汛工作会议上的讲话</p></div>
<footer><p>Copyright © 2024 青禾范文网 版权所有 京ICP备12345678号</p></footer>
</body></html>
"""


# ---------------------------------------------------------------------------------------------
# Word


def test_word_heading_styles_become_chapters(tmp_path: Path) -> None:
    document = load_document(heading_styled_docx(tmp_path / "年度讲话.docx"))
    assert document.title == TITLE
    assert [(c.title, c.heading) for c in document.chapters] == [
        ("开场白", False),
        ("回顾成绩", True),
        ("展望未来", True),
    ]
    assert document.chapters[1].paragraphs == ("1.营收稳步增长。", "2.团队不断壮大。")
    # The level-2 heading is read inside its chapter; the text box and the grid are not read.
    assert document.chapters[2].paragraphs[0] == "一个小标题"
    assert document.chapters[2].paragraphs[-1] == "谢谢大家！"
    assert any("table skipped (2 rows × 2 columns" in note for note in document.notes)
    assert any("text box skipped ('扫码关注我们'" in note for note in document.notes)
    spoken = " ".join(p for c in document.chapters for p in c.paragraphs)
    assert "指标" not in spoken and "扫码" not in spoken


def test_word_list_numbers_are_kept_as_text(tmp_path: Path) -> None:
    document = load_document(numbered_sections_docx(tmp_path / "植树.docx"))
    assert document.title == "在全县春季植树造林动员大会上的讲话"
    assert [c.title for c in document.chapters] == [
        "开场白",
        "一、提高认识，增强责任感",
        "二、突出重点，确保成活率",
        "结束语",
    ]
    assert document.chapters[1].paragraphs[1:] == ("①抓好苗木调运。", "②做好技术指导。")
    assert document.chapters[3].paragraphs == ("总之，植树造林功在当代，利在千秋。", "谢谢大家！")


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (3, "chineseCounting", "三"),
        (12, "chineseCountingThousand", "十二"),
        (4, "chineseLegalSimplified", "肆"),
        (2, "ideographTraditional", "乙"),
        (3, "decimalEnclosedCircleChinese", "③"),
        (21, "decimalEnclosedCircle", "21"),
        (14, "upperRoman", "XIV"),
        (28, "lowerLetter", "bb"),
        (7, "decimalFullWidth", "７"),
        (5, "decimal", "5"),
    ],
)
def test_word_number_formats(value: int, fmt: str, shown: str) -> None:
    assert format_number(value, fmt) == shown


def test_word_document_title_is_the_fallback(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "在新员工入职培训会上的讲话"
    document.add_paragraph("大家好！欢迎加入我们。今天的培训共有三项内容。")
    path = tmp_path / "doc.docx"
    document.save(str(path))
    document = load_document(path)
    assert document.title == "在新员工入职培训会上的讲话"
    assert document.title_origin == "title field"
    assert not document.title_spoken  # not a line of the text: it names the files only


# ---------------------------------------------------------------------------------------------
# A saved web page


def test_saved_page_main_text_and_chrome(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(SAVED_PAGE, encoding="utf-8")
    document = load_document(path)
    assert document.title == "在全镇秋季安全生产工作会议上的讲话"
    assert [c.title for c in document.chapters] == [
        "开场白",
        "一、思想上再重视",
        "二、隐患上再排查",
    ]
    paragraphs = [p for c in document.chapters for p in c.paragraphs]
    assert paragraphs[0] == "同志们："
    assert paragraphs[-1] == "谢谢大家！"
    rules = {line.rule for line in document.removed}
    assert {"publication", "editor", "login-teaser"} <= rules
    # Nothing of the page's chrome is spoken, wherever it was dropped (extraction or rules).
    spoken = " ".join([document.title, *paragraphs])
    for chrome in ("注册", "当前位置", "来源", "小编", "登录", "上一篇", "版权所有", "首页"):
        assert chrome not in spoken


def test_saved_page_in_gbk_with_a_doc_extension_is_sniffed(tmp_path: Path) -> None:
    # Template sites serve "Word downloads" that are web pages; older pages are GBK.
    path = tmp_path / "download.doc"
    path.write_bytes(SAVED_PAGE.replace("utf-8", "gb18030").encode("gb18030"))
    source = read_source(path)
    assert source.format == "html"
    assert load_document(path).title == "在全镇秋季安全生产工作会议上的讲话"


# ---------------------------------------------------------------------------------------------
# Text formats and sniffing


def test_text_without_extension_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "speech"
    path.write_text("在迎新晚会上的致辞\n同学们：\n欢迎你们！\n", encoding="utf-8")
    assert read_source(path).format == "txt"
    assert load_document(path).title == "在迎新晚会上的致辞"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"%PDF-1.7\n...", "is a PDF file"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Word .doc"),
        ("a.zip", None, "ZIP archive but not a Word .docx"),
        ("a.docx", b"PK\x03\x04" + bytes(300), "is damaged"),
        ("a.docx", b"", "is empty"),
        ("a.html", b"", "is empty"),
        ("a.html", b"<html><body><script>x()</script></body></html>", "holds no text"),
    ],
)
def test_unreadable_documents_are_one_clear_error(
    tmp_path: Path, name: str, data: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if data is None:
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "hi")
    else:
        path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        load_document(path)


def test_output_stem_of_standard_input_comes_from_the_title() -> None:
    def stem(source: str, title: str) -> str:
        return OutputLayout.for_source(Path("out"), Path(source), title).stem

    assert stem("-", "在大会上的讲话：奋斗/创新") == "在大会上的讲话：奋斗 创新"
    assert stem("-", "...") == "stdin"
    assert stem("-", "a\x00b" + "长" * 100) == "a b" + "长" * 57
    assert stem("speech.docx", "whatever") == "speech"


# ---------------------------------------------------------------------------------------------
# Through the command line, with the real offline engine


def chapters_of(path: Path) -> tuple[str, list[str]]:
    audio = MP4(path)
    return audio.tags["\xa9nam"][0], [c.title for c in audio.chapters]


SHORT_DOCX_SPEECH = ["提高认识。", "狠抓落实。"]


def short_word_speech(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("在全区工作会议上的讲话", style="Title")
    document.add_paragraph("同志们：")
    num = chinese_numbering(document)
    numbered(document, "提高认识。", num)
    numbered(document, "狠抓落实。", num)
    document.add_paragraph("谢谢大家！")
    document.save(str(path))
    return path


def test_render_word_file(tmp_path: Path) -> None:
    source = short_word_speech(tmp_path / "会议.docx")
    result = run_cli("render", str(source), "-o", str(tmp_path / "out"), "--no-page")
    assert result.returncode == 0, result.stderr
    assert chapters_of(tmp_path / "out" / "会议.m4b") == (
        "在全区工作会议上的讲话",
        ["开场白", "一、提高认识", "二、狠抓落实"],
    )


def test_render_saved_page(tmp_path: Path) -> None:
    page = SAVED_PAGE.replace(
        "<p>安全生产事关群众生命财产，任何时候都不能松劲，任何环节都不能马虎。</p>", ""
    ).replace("<p>各村各企业要对照清单，逐项过一遍，发现一处整改一处。</p>", "")
    source = tmp_path / "saved.html"
    source.write_text(page, encoding="utf-8")
    result = run_cli("render", str(source), "-o", str(tmp_path / "out"), "--no-page")
    assert result.returncode == 0, result.stderr
    assert chapters_of(tmp_path / "out" / "saved.m4b") == (
        "在全镇秋季安全生产工作会议上的讲话",
        ["开场白", "一、思想上再重视", "二、隐患上再排查"],
    )


def test_render_from_standard_input(tmp_path: Path) -> None:
    speech = (
        "注册 | 登录\n在全区工作会议上的讲话\n同志们：\n第一，提高认识。\n第二，狠抓落实。\n"
        "谢谢大家！\n上一篇：在年终总结会上的讲话\n"
    )
    result = run_cli("render", "-", "-o", str(tmp_path / "out"), "--no-page", stdin=speech.encode())
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out" / "在全区工作会议上的讲话.m4b"
    assert chapters_of(out) == (
        "在全区工作会议上的讲话",
        ["开场白", "第一，提高认识", "第二，狠抓落实"],
    )
    manifest = (tmp_path / "out" / "在全区工作会议上的讲话.manifest.json").read_text("utf-8")
    assert '"source": "stdin"' in manifest
    assert '"rule": "account"' in manifest and '"rule": "previous-next"' in manifest


def test_render_from_standard_input_without_a_title(tmp_path: Path) -> None:
    """No line looks like a title: "stdin" names the files and the tags, and is not spoken."""
    speech = "同志们：\n第一，提高认识。\n第二，狠抓落实。\n谢谢大家！\n"
    result = run_cli("render", "-", "-o", str(tmp_path / "out"), stdin=speech.encode())
    assert result.returncode == 0, result.stderr
    assert "no line looks like a title" in result.stderr
    assert chapters_of(tmp_path / "out" / "stdin.m4b") == (
        "stdin",
        ["开场白", "第一，提高认识", "第二，狠抓落实"],
    )
    manifest = json.loads((tmp_path / "out" / "stdin.manifest.json").read_text("utf-8"))
    assert manifest["title"] == "stdin"
    assert [u["text"] for u in manifest["utterances"]] == speech.split()
    assert manifest["utterances"][0]["start"] < 0.5  # the speech starts at once
    page = (tmp_path / "out" / "stdin.html").read_text("utf-8")
    assert "<title>stdin</title>" in page


def test_plan_from_standard_input_shows_removed_lines_with_rules() -> None:
    speech = "当前位置：首页 > 讲话稿\n在全区工作会议上的讲话\n同志们：\n谢谢大家！\n"
    result = run_cli("plan", "-", stdin=speech.encode("gb18030"))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Removed (not read aloud):" in text
    assert "breadcrumb" in text and "当前位置：首页 > 讲话稿" in text


def test_preview_reads_a_word_file(tmp_path: Path) -> None:
    source = short_word_speech(tmp_path / "会议.docx")
    result = run_cli("preview", "-i", str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "同志们" in result.stderr


def test_docx_bytes_on_standard_input(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    short_word_speech(tmp_path / "x.docx")
    buffer.write((tmp_path / "x.docx").read_bytes())
    result = run_cli("plan", "-", "--json", stdin=buffer.getvalue())
    assert result.returncode == 0, result.stderr
    assert '"title": "在全区工作会议上的讲话"' in result.stdout
