"""The cue sheet beside a WAV file: its chapters as tracks (times in CD frames, 1/75 s)."""

from __future__ import annotations

from tts_pipeline.audio.timeline import Timeline
from tts_pipeline.errors import PipelineError
from tts_pipeline.outputs.metadata_text import metadata_text
from tts_pipeline.outputs.tags import Tags

CUE_MAX_TRACKS = 99


def cue_quote(value: str) -> str:
    """A quoted cue-sheet string: the text as metadata holds it (no line breaks or other control
    characters, outputs.metadata_text), then backslash escapes for \\ and " (cue sheets have no
    escape syntax of their own; these are what libcue's lexer accepts; ``cue_unquote`` reverses
    them)."""
    escaped = metadata_text(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def cue_unquote(token: str) -> str:
    body = token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        out.append(next(chars, "") if ch == "\\" else ch)
    return "".join(out)


def cue_time(samples: int, sample_rate: int) -> str:
    """mm:ss:ff with 75 frames per second (the nearest frame; exact on the chapter grid)."""
    frames = (samples * 75 + sample_rate // 2) // sample_rate
    minutes, rest = divmod(frames, 60 * 75)
    seconds, frame = divmod(rest, 75)
    return f"{minutes:02d}:{seconds:02d}:{frame:02d}"


def cue_sheet(timeline: Timeline, tags: Tags, audio_name: str) -> str:
    if len(timeline.chapters) > CUE_MAX_TRACKS:
        raise PipelineError(
            f"a cue sheet holds at most {CUE_MAX_TRACKS} chapters "
            f"(this programme has {len(timeline.chapters)}); choose another format than wav"
        )
    lines = [
        f"REM GENRE {cue_quote(tags.genre)}",
        *([f"REM DATE {cue_quote(tags.date)}"] if tags.date else []),
        *([f"REM COMMENT {cue_quote(tags.comment)}"] if tags.comment else []),
        f"PERFORMER {cue_quote(tags.artist)}",
        f"TITLE {cue_quote(tags.album or tags.title)}",
        f"FILE {cue_quote(audio_name)} WAVE",
    ]
    for number, mark in enumerate(timeline.chapters, start=1):
        lines += [
            f"  TRACK {number:02d} AUDIO",
            f"    TITLE {cue_quote(mark.title)}",
            f"    PERFORMER {cue_quote(tags.artist)}",
            f"    INDEX 01 {cue_time(mark.start, timeline.sample_rate)}",
        ]
    return "\n".join(lines) + "\n"
