"""Tags and chapters as the containers carry them: ffmpeg's options and an FFMETADATA file of
chapter times (MP4, MP3), Vorbis comments (FLAC, Opus); every text through ``metadata_text``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tts_pipeline.audio.timeline import Timeline
from tts_pipeline.outputs.metadata_text import metadata_text


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str = ""
    album: str = ""
    date: str = ""
    genre: str = "Speech"
    language: str = ""
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def ffmetadata(timeline: Timeline | None) -> str:
    """An FFMETADATA file with the chapters' times (in samples: exact, no rounding) and no text.

    Tags and chapter titles go on ffmpeg's command line instead (``metadata_arguments``): no
    escaping makes FFMETADATA hold a value that ends in a backslash, since ffmpeg's line reader
    takes the escaped backslash before the line's end for an escaped line break, and the value
    swallows the next line (the next tag, or a chapter's times)."""
    lines = [";FFMETADATA1"]
    marks = timeline.chapters if timeline is not None else ()
    rate = timeline.sample_rate if timeline is not None else 0
    for mark in marks:
        lines += ["[CHAPTER]", f"TIMEBASE=1/{rate}"]
        lines += [f"START={mark.start}", f"END={mark.end}"]
    return "\n".join(lines) + "\n"


def metadata_arguments(tags: Iterable[tuple[str, str]], chapters: Iterable[str] = ()) -> list[str]:
    """ffmpeg options that set the tags and the titles of the chapters (in order) of the next
    output: text as metadata holds it (outputs.metadata_text), no escaping needed."""
    args: list[str] = []
    for key, value in tags:
        args += ["-metadata", f"{key}={metadata_text(value)}"]
    for index, title in enumerate(chapters):
        args += [f"-metadata:c:{index}", f"title={metadata_text(title)}"]
    return args


def tag_items(tags: Tags) -> list[tuple[str, str]]:
    """(key, value) of every tag with a value, as the containers hold them."""
    items = [
        ("title", tags.title),
        ("artist", tags.artist),
        ("album_artist", tags.artist),
        ("album", tags.album or tags.title),
        ("date", tags.date),
        ("genre", tags.genre),
        ("language", tags.language),
        ("comment", tags.comment),
        *tags.extra.items(),
    ]
    cleaned = [(key, metadata_text(value)) for key, value in items]
    return [(key, value) for key, value in cleaned if value]


def vorbis_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def vorbis_chapters(timeline: Timeline) -> dict[str, str]:
    """The Vorbis-comment chapter convention: CHAPTER001=HH:MM:SS.mmm, CHAPTER001NAME=title."""
    out: dict[str, str] = {}
    for number, mark in enumerate(timeline.chapters, start=1):
        out[f"CHAPTER{number:03d}"] = vorbis_time(timeline.ms(mark.start))
        out[f"CHAPTER{number:03d}NAME"] = metadata_text(mark.title)
    return out
