"""The playlist of a render's chapter files (``--split chapters``): extended M3U in UTF-8
(``.m3u8``), each file with its duration and title, named relative to the playlist (they sit
beside it), so the folder can be moved or served as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tts_pipeline.outputs.metadata_text import metadata_text


@dataclass(frozen=True)
class PlaylistEntry:
    file: str  # the file's name (beside the playlist)
    seconds: float
    title: str


def m3u8(entries: Sequence[PlaylistEntry], title: str) -> str:
    """``#EXTM3U``, the playlist's title, then ``#EXTINF:<seconds>,<title>`` and the file of
    each entry (whole seconds, as every player reads them; titles on one line)."""
    lines = ["#EXTM3U", f"#PLAYLIST:{metadata_text(title)}"]
    for entry in entries:
        lines.append(f"#EXTINF:{round(entry.seconds)},{metadata_text(entry.title)}")
        lines.append(entry.file)
    return "\n".join(lines) + "\n"
