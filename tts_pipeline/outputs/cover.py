"""Cover art: a JPEG or PNG image checked once, and the picture block FLAC and Opus carry."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from mutagen.flac import Picture

from tts_pipeline.errors import SettingsError

COVER_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
COVER_MAX_BYTES = 16 * 1024 * 1024 - 1  # a FLAC picture block holds at most 16 MiB
PICTURE_FRONT_COVER = 3  # ID3/FLAC picture type


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str
    width: int = 0
    height: int = 0


def load_cover(path: Path) -> Cover:
    """Read and check a JPEG/PNG cover image, or raise SettingsError with one clear line."""
    try:
        if not path.exists():
            raise SettingsError(f"cover image not found: {path}")
        if not path.is_file():
            raise SettingsError(f"cover image {path} is not a file")
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read cover image {path}: {exc.strerror or exc}") from None
    mime = next((m for magic, m in COVER_TYPES.items() if data.startswith(magic)), None)
    if mime is None:
        raise SettingsError(f"cover image {path} is not a JPEG or PNG file")
    if len(data) > COVER_MAX_BYTES:
        raise SettingsError(f"cover image {path} is larger than 16 MB")
    width, height = _image_size(data, mime)
    return Cover(data, mime, width, height)


def _image_size(data: bytes, mime: str) -> tuple[int, int]:
    """Width and height from the image header (0, 0 when it cannot be found)."""
    if mime == "image/png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    i = 2
    while i + 9 < len(data):  # JPEG: walk the markers to a start-of-frame
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return 0, 0


def picture_block(cover: Cover) -> Picture:
    picture = Picture()
    picture.type = PICTURE_FRONT_COVER
    picture.mime = cover.mime
    picture.desc = "Cover"
    picture.width, picture.height, picture.depth = cover.width, cover.height, 24
    picture.data = cover.data
    return picture
