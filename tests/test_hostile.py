"""Hostile but realistic inputs and faults, as a table: the next one is a row, not a test file.

Every row runs the real command line in a process of its own (so devices, FIFOs, signals and
memory behave as they do for a user) and checks the same promises: the expected exit code, one
clear line on stderr and no traceback for a user's mistake, nothing half-written in the output
folder, no leftover temporary files; ``check`` adds what is particular to the row (e.g. reading
the metadata of what was written back with mutagen).
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest

from tests.cli_tools import run_cli

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
    memory_mb: int | None = None  # address-space cap: a runaway read fails fast, not the machine
    stdin: bytes | None = None  # piped in (else standard input is closed)


def run_row(row: Hostile, tmp: Path) -> Run:
    out = tmp / "out"
    speech = tmp / "speech.txt"
    speech.write_text(SPEECH, encoding="utf-8")
    row.prepare(tmp)
    args = [a.format(tmp=tmp, out=out, speech=speech) for a in row.args]
    result = run_cli(
        *args,
        cwd=tmp,
        env={**os.environ, **row.env},
        timeout=row.timeout,
        preexec_fn=_memory_cap(row.memory_mb) if row.memory_mb else None,
        stdin=row.stdin,
    )
    return Run(result.returncode, result.stdout, result.stderr, tmp, out)


def _memory_cap(megabytes: int) -> Callable[[], None]:
    def cap() -> None:
        limit = megabytes << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def leftovers(folder: Path) -> list[Path]:
    """Temporary files a run must not leave behind in an output folder."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".part"))


# ---------------------------------------------------------------------------------------------
# What the rows make and check

TEMPLATE = "会议讲话\n\n欢迎XX中学的各位老师。\n"
PARTLY_SPEAKABLE = "会议\n\n大家好😀，欢迎！\n\nمرحبا بكم\n\n谢谢大家！\n"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _check_split_after_filling(run: Run, values: int) -> None:
    plan = json.loads(run.stdout)
    utterances = [u for c in plan["chapters"] for u in c["utterances"]]
    assert max(len(u["spoken"]) for u in utterances) <= 300
    assert [p["utterance"] for p in plan["placeholders"]][0] == "c01-p001-s1"
    assert len(plan["placeholders"]) == values


def _check_unspeakable_listed(run: Run) -> None:
    plan = json.loads(run.stdout)
    assert plan["unspeakable"] == [
        {"text": "😀", "utterance": "c01-p001", "silent": False},
        {"text": "مرحبا بكم", "utterance": "c01-p002", "silent": True},
    ]
    utterance = plan["chapters"][0]["utterances"][1]
    assert set(utterance) == {"id", "text", "spoken", "pause_after"}  # unchanged shape


def _check_unspeakable_warned(run: Run) -> None:
    warnings = [line for line in run.lines if line.startswith("warning:")]
    assert len(warnings) == 1, run.stderr
    assert "cannot say some text, which is left out: '😀', 'مرحبا بكم'" in warnings[0]
    assert "in c01-p001, c01-p002" in warnings[0]
    assert (run.out / "partly.wav").is_file()


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
    # issue 13: the input side
    *(
        Hostile(
            f"{' '.join(args[:-2] if args[-2] == '-o' else args)} (a device)",
            args,
            message=rf"^error: {what} /dev/zero is a character device, not a regular file",
            memory_mb=1500,
            timeout=60,
        )
        for what, args in (
            ("input file", ("render", "/dev/zero", "-o", "{out}")),
            ("input file", ("plan", "/dev/zero")),
            ("input file", ("preview", "-i", "/dev/zero", "-o", "{out}")),
            ("fills file", ("plan", "{speech}", "--fill", "/dev/zero")),
            ("cover image", ("render", "{speech}", "--cover", "/dev/zero", "-o", "{out}")),
            ("lexicon file", ("plan", "{speech}", "--lexicon", "/dev/zero")),
        )
    ),
    *(
        Hostile(
            f"{args[0]} {option} a FIFO without a writer",
            args,
            message=rf"^error: {what} .*fifo\.\w+ is a FIFO \(named pipe\), not a regular file",
            prepare=lambda tmp: [os.mkfifo(tmp / name) for name in ("fifo.txt", "fifo.toml")],
            timeout=30,
        )
        for what, option, args in (
            ("input file", "of", ("render", "{tmp}/fifo.txt", "-o", "{out}")),
            ("input file", "of", ("plan", "{tmp}/fifo.txt")),
            ("input file", "-i", ("preview", "-i", "{tmp}/fifo.txt", "-o", "{out}")),
            ("fills file", "--fill", ("render", "{speech}", "--fill", "{tmp}/fifo.toml")),
            ("voice file", "--voice", ("plan", "{speech}", "--voice", "{tmp}/fifo.toml")),
            ("lexicon file", "--lexicon", ("plan", "{speech}", "--lexicon", "{tmp}/fifo.toml")),
        )
    ),
    Hostile(
        "render with a fill value of 3,000 characters",
        ("render", "{tmp}/template.txt", "--fill", "{tmp}/long.toml", "-o", "{out}"),
        message=r"^error: fills file .*long\.toml: the value of 'XX中学' is 3000 characters "
        r"long; a fill-in is at most 100",
        prepare=lambda tmp: (
            _write(tmp / "template.txt", TEMPLATE),
            _write(tmp / "long.toml", f'"XX中学" = "{"甲" * 3000}"\n'),
        ),
        memory_mb=1500,
        timeout=60,
    ),
    Hostile(
        "fill values that make a sentence 4,000 characters long are split after filling",
        ("plan", "{tmp}/template.txt", "--fill", "{tmp}/longest.toml", "--json"),
        exit_code=0,
        prepare=lambda tmp: (
            _write(tmp / "template.txt", "会议\n\n" + "，".join(["XX中学"] * 40) + "。\n"),
            _write(tmp / "longest.toml", f'"XX中学" = "{"石家庄市第一中学" * 12}附属小学"\n'),
        ),
        check=lambda run: _check_split_after_filling(run, values=40),
    ),
    *(
        Hostile(
            f"render a document of only {kind} with the default voice",
            ("render", f"{{tmp}}/{name}", "-o", "{out}"),
            message=rf"^error: the voice xiaomei can say nothing of {name}: it cannot say '",
            prepare=lambda tmp, name=name, text=text: _write(tmp / name, text),
        )
        for kind, name, text in (
            ("punctuation", "punctuation.txt", "！！！\n\n。。。，，……\n"),
            ("emoji", "emoji.txt", "😀😀\n\n🎉🎉🎉👍\n"),
            ("Arabic", "arabic.txt", "كلمة\n\nمرحبا بكم في الاجتماع\n"),
        )
    ),
    Hostile(
        "preview an emoji-only document with the default voice",
        ("preview", "-i", "{tmp}/emoji.txt", "-o", "{out}"),
        message=r"^error: the voice xiaomei can say nothing of the preview text: "
        r"it cannot say '🎉🎉🎉👍'",
        prepare=lambda tmp: _write(tmp / "emoji.txt", "😀😀\n\n🎉🎉🎉👍\n"),
    ),
    Hostile(
        "plan shows what the voice cannot say, per utterance",
        ("plan", "{tmp}/partly.txt", "--json"),
        exit_code=0,
        prepare=lambda tmp: _write(tmp / "partly.txt", PARTLY_SPEAKABLE),
        check=lambda run: _check_unspeakable_listed(run),
    ),
    Hostile(
        "render warns about the text the voice cannot say, with the utterance ids",
        ("render", "{tmp}/partly.txt", "-o", "{out}", "--format", "wav", "--no-page"),
        exit_code=0,
        prepare=lambda tmp: _write(tmp / "partly.txt", PARTLY_SPEAKABLE),
        check=lambda run: _check_unspeakable_warned(run),
    ),
    Hostile(
        "render a file with a two-character UTF-8 title and a GBK body",
        ("render", "{tmp}/mixed.txt", "-o", "{out}"),
        message=r"^error: .*mixed\.txt mixes encodings: UTF-8 up to line 2, then bytes "
        r"that are not UTF-8",
        prepare=lambda tmp: (tmp / "mixed.txt").write_bytes(
            "测试\n".encode() + SPEECH.encode("gbk")
        ),
    ),
    # issue 13: the output side
    Hostile(
        "a title and a heading ending in a backslash, m4b and mp3",
        ("render", "{tmp}/backslash.txt", "-o", "{out}", "--format", "m4b", "--format", "mp3"),
        exit_code=0,
        prepare=lambda tmp: (tmp / "backslash.txt").write_text(BACKSLASH_SPEECH, "utf-8"),
        check=lambda run: check_metadata(
            run,
            "backslash",
            "会议讲话\\",
            XIAOMEI,
            ["开场白", "第一，提高认识\\", "第二，狠抓落实"],
        ),
    ),
    Hostile(
        "--author with a carriage return, every container and the cue sheet",
        (
            "render",
            "{speech}",
            "-o",
            "{out}",
            "--author",
            "Ann\r[CHAPTER]\nBob",
            "--format",
            "m4b,mp3,wav",
            "--no-page",
        ),
        exit_code=0,
        check=lambda run: check_metadata(
            run,
            "speech",
            "会议讲话",
            "Ann [CHAPTER] Bob",
            ["开场白", "第一，提高认识", "第二，狠抓落实"],
        ),
    ),
    Hostile(
        "a damaged JPEG cover: refused before synthesis",
        ("render", "{speech}", "-o", "{out}", "--cover", "{tmp}/cover.jpg", "--format", "mp3"),
        message=r"^error: cover image .*cover\.jpg is damaged",
        prepare=lambda tmp: (tmp / "cover.jpg").write_bytes(DAMAGED_JPEG),
        check=lambda run: nothing_synthesized(),
    ),
    # issue 16: lexicons
    Hostile(
        "lexicon that is not TOML",
        ("render", "{speech}", "--lexicon", "{tmp}/bad.toml", "-o", "{out}"),
        message=r"^error: lexicon file .*bad\.toml is not valid TOML: .*line 2.*\"GTP\" \"GDP\"$",
        prepare=lambda tmp: (tmp / "bad.toml").write_text(
            '"AI" = "人工智能"\n"GTP" "GDP"\n', encoding="utf-8"
        ),
        check=lambda run: nothing_synthesized(),
    ),
    Hostile(
        "lexicon with bad pinyin",
        ("render", "{speech}", "--lexicon", "{tmp}/bad.toml", "-o", "{out}"),
        message=r"^error: lexicon file .*bad\.toml: entry '单县': 'shan9' is not a pinyin syllable",
        prepare=lambda tmp: (tmp / "bad.toml").write_text(
            '"单县" = { pinyin = "shan9 xian4" }\n', encoding="utf-8"
        ),
        check=lambda run: nothing_synthesized(),
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
        check=lambda run: nothing_synthesized(),
    ),
    Hostile(
        "missing lexicon file",
        ("plan", "{speech}", "--lexicon", "{tmp}/nope.toml"),
        message=r"^error: lexicon file not found: .*nope\.toml$",
    ),
    Hostile(
        "malformed user lexicon",
        ("render", "{speech}", "-o", "{out}"),
        message=r"^error: lexicon file .*user\.toml: entry '单县': 2 character\(s\) but 1 pinyin",
        prepare=lambda tmp: (tmp / "user.toml").write_text(
            '"单县" = { pinyin = "shan4" }\n', encoding="utf-8"
        ),
        env={"TTS_PIPELINE_LEXICON": "user.toml"},
        check=lambda run: nothing_synthesized(),
    ),
    Hostile(
        "a lexicon of 2 MB",
        ("plan", "{speech}", "--lexicon", "{tmp}/big.toml"),
        message=r"^error: lexicon file .*big\.toml is 2 MB; the limit is 1 MB$",
        prepare=lambda tmp: (tmp / "big.toml").write_bytes(b"# padding\n" * 209_716),
    ),
    # issue 18: production
    *(
        Hostile(
            f"render {option} {kind}: refused before synthesis",
            ("render", "{speech}", "-o", "{out}", option, f"{{tmp}}/{name}"),
            message=message,
            prepare=prepare,
            check=lambda run: nothing_synthesized(),
        )
        for option, kind, name, message, prepare in (
            (
                "--intro",
                "a missing file",
                "nope.mp3",
                r"^error: intro file not found: .*nope\.mp3$",
                lambda tmp: None,
            ),
            (
                "--music",
                "a directory",
                "bed",
                r"^error: music file .*bed is a directory",
                lambda tmp: (tmp / "bed").mkdir(),
            ),
            (
                "--chapter-sound",
                "text, not audio",
                "chime.mp3",
                r"^error: chapter sound file .*chime\.mp3 is not audio that ffmpeg can decode",
                lambda tmp: _write(tmp / "chime.mp3", "这不是声音\n" * 50),
            ),
            (
                "--outro",
                "an empty file",
                "outro.ogg",
                r"^error: outro file .*outro\.ogg is empty",
                lambda tmp: (tmp / "outro.ogg").write_bytes(b""),
            ),
            (
                "--intro",
                "a WAV of no samples",
                "intro.wav",
                r"^error: intro file .*intro\.wav holds no audio \(zero length\)",
                lambda tmp: _empty_wav(tmp / "intro.wav"),
            ),
            (
                "--music",
                "a FIFO",
                "fifo.flac",
                r"^error: music file .*fifo\.flac is a FIFO \(named pipe\), not a regular file",
                lambda tmp: os.mkfifo(tmp / "fifo.flac"),
            ),
        )
    ),
    Hostile(
        "render --chapters that match no chapter",
        ("render", "{speech}", "-o", "{out}", "--chapters", "7-9"),
        message=r"^error: --chapters 7-9 matches no chapter: the document has 3 chapters",
        check=lambda run: nothing_synthesized(),
    ),
    Hostile(
        "plan --chapters malformed",
        ("plan", "{speech}", "--chapters", "2-x"),
        message=r"^error: --chapters '2-x' is malformed: use chapter numbers",
    ),
    Hostile(
        "render --split of an unknown kind",
        ("render", "{speech}", "-o", "{out}", "--split", "pages"),
        message=r"^error: --split must be whole or chapters \(got 'pages'\)",
    ),
    Hostile(
        "render --music-level out of range",
        ("render", "{speech}", "-o", "{out}", "--music-level", "-5"),
        message=r"^error: --music-level must be between -50 and -12 LUFS \(got -5\)",
    ),
    Hostile(
        "a preset whose [production] names a missing file",
        ("render", "{speech}", "-o", "{out}", "--voice", "{tmp}/house.toml"),
        message=r"^error: intro file not found: .*sounds/sting\.mp3$",
        prepare=lambda tmp: _write(
            tmp / "house.toml",
            'engine = "local-zh"\nvoice = "baker"\n[production]\nintro = "sounds/sting.mp3"\n',
        ),
        check=lambda run: nothing_synthesized(),
    ),
    Hostile(
        "a preset with an unknown [production] key",
        ("plan", "{speech}", "--voice", "{tmp}/house.toml"),
        message=r"^error: .*house\.toml: unknown key\(s\) in \[production\]: jingle",
        prepare=lambda tmp: _write(
            tmp / "house.toml", 'engine = "local-zh"\nvoice = "baker"\n[production]\njingle = "x"\n'
        ),
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
    Hostile(
        "standard input that never ends (21 MB piped in)",
        ("render", "-", "-o", "{out}"),
        message=r"^error: the speech on standard input is more than 20 MB; the limit is 20 MB "
        r"\(split the document\)",
        stdin=b"\x00" * (21 << 20),
        memory_mb=1500,
    ),
    Hostile(
        "standard input with 6 MB of text",
        ("plan", "-"),
        message=r"^error: stdin holds more than 5 MB of text; the limit for text is 5 MB",
        stdin="讲话。\n".encode() * ((6 << 20) // 10),  # 6 MB
    ),
    *(
        Hostile(
            f"a FIFO named .{suffix}",
            ("plan", f"{{tmp}}/fifo.{suffix}"),
            message=rf"^error: input file .*fifo\.{suffix} is a FIFO \(named pipe\), not a "
            "regular file",
            prepare=lambda tmp, suffix=suffix: os.mkfifo(tmp / f"fifo.{suffix}"),
            timeout=30,
        )
        for suffix in ("docx", "html")
    ),
]


# ---------------------------------------------------------------------------------------------
# What the rows of issue 13 (the output side) use

XIAOMEI = "Xiaomei (offline Mandarin, female)"  # the default voice's display name
BACKSLASH_SPEECH = SPEECH.replace("会议讲话", "会议讲话\\").replace("提高认识。", "提高认识\\。")
# A JPEG's first bytes (start of image, a JFIF header), then bytes that are no image at all.
DAMAGED_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(
    (i * 97 + 13) % 256 for i in range(4000)
)


def check_metadata(run: Run, stem: str, title: str, artist: str, chapters: list[str]) -> None:
    """The tags and chapters of every container written, read back with mutagen (and the cue
    sheet's text), are the ones meant."""
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4

    written = {p.suffix for p in run.out.iterdir()}
    if ".m4b" in written:
        mp4 = MP4(run.out / f"{stem}.m4b")
        assert mp4.tags is not None
        assert (mp4.tags["\xa9nam"], mp4.tags["\xa9ART"]) == ([title], [artist])
        assert [c.title for c in mp4.chapters] == chapters
    if ".mp3" in written:
        id3 = ID3(run.out / f"{stem}.mp3")
        assert (str(id3["TIT2"]), str(id3["TPE1"])) == (title, artist)
        (toc,) = id3.getall("CTOC")
        frames = {c.element_id: c.sub_frames for c in id3.getall("CHAP")}
        assert [list(frames[e]) for e in toc.child_element_ids] == [["TIT2"]] * len(chapters)
        assert [frames[e]["TIT2"].text[0] for e in toc.child_element_ids] == chapters
    if ".cue" in written:
        lines = (run.out / f"{stem}.cue").read_text("utf-8").splitlines()
        quoted = [re.fullmatch(r'\s*(\w+) "(.*)"', line) for line in lines]
        texts = [(m.group(1), m.group(2)) for m in quoted if m and m.group(1) != "FILE"]
        assert [t for c, t in texts if c == "TITLE"] == [title, *chapters]
        assert {t for c, t in texts if c == "PERFORMER"} == {artist}
        assert sum(line.strip().startswith("TRACK ") for line in lines) == len(chapters)


def _empty_wav(path: Path) -> None:
    """A well-formed WAV file that holds no samples."""
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24_000)
        w.writeframes(b"")


def nothing_synthesized() -> None:
    cache = Path(os.environ["TTS_PIPELINE_CACHE_DIR"])
    assert list(cache.rglob("*.take")) == []


# ---------------------------------------------------------------------------------------------
# What the rows of issue 15 (documents) use


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
