"""Tags and chapters as the containers carry them: FFMETADATA for ffmpeg (MP4, MP3), Vorbis
comments (FLAC, Opus)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tts_pipeline.audio.timeline import Timeline


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


def escape_ffmetadata(value: str) -> str:
    """FFMETADATA needs '=', ';', '#', '\\' and newlines escaped with a backslash."""
    out = []
    for ch in value:
        if ch in "=;#\\\n":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def ffmetadata(tags: Tags, timeline: Timeline | None) -> str:
    """Tags and chapters for ffmpeg. Chapter times are in samples (exact, no rounding)."""
    lines = [";FFMETADATA1"]
    for key, value in tag_items(tags):
        lines.append(f"{key}={escape_ffmetadata(value)}")
    marks = timeline.chapters if timeline is not None else ()
    rate = timeline.sample_rate if timeline is not None else 0
    for mark in marks:
        lines += [
            "[CHAPTER]",
            f"TIMEBASE=1/{rate}",
            f"START={mark.start}",
            f"END={mark.end}",
            f"title={escape_ffmetadata(mark.title)}",
        ]
    return "\n".join(lines) + "\n"


def tag_items(tags: Tags) -> list[tuple[str, str]]:
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
    return [(k, v) for k, v in items if v]


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
        out[f"CHAPTER{number:03d}NAME"] = mark.title
    return out
