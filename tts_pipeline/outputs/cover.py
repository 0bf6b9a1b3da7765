"""Cover art: a JPEG or PNG image checked once (decoded whole: a damaged one is refused before
synthesis), and the picture block FLAC and Opus carry."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from mutagen.flac import Picture
from PIL import Image, UnidentifiedImageError

from tts_pipeline.errors import SettingsError
from tts_pipeline.user_files import read_user_file

COVER_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
COVER_DECODERS = {"image/jpeg": "JPEG", "image/png": "PNG"}  # Pillow's format names
COVER_MAX_BYTES = 16 * 1024 * 1024 - 1  # a FLAC picture block holds at most 16 MiB
PICTURE_FRONT_COVER = 3  # ID3/FLAC picture type


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str
    width: int = 0
    height: int = 0


def load_cover(path: Path) -> Cover:
    """Read and check a JPEG/PNG cover image, or raise SettingsError with one clear line.

    The whole image is decoded (Pillow), so a damaged one is refused before synthesis: an MP4
    would embed it silently and the MP3 encoder would fail on it after synthesis."""
    data = read_user_file(path, what="cover image", limit=COVER_MAX_BYTES, error=SettingsError)
    mime = next((m for magic, m in COVER_TYPES.items() if data.startswith(magic)), None)
    if mime is None:
        raise SettingsError(f"cover image {path} is not a JPEG or PNG file")
    try:
        with warnings.catch_warnings():  # Pillow warns (on stderr) of images this large
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[COVER_DECODERS[mime]]) as image:
                image.load()
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SettingsError(f"cover image {path} has too many pixels for a cover") from None
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many kinds
        reason = "not an image" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise SettingsError(f"cover image {path} is damaged ({reason})") from None
    return Cover(data, mime, width, height)


def picture_block(cover: Cover) -> Picture:
    picture = Picture()
    picture.type = PICTURE_FRONT_COVER
    picture.mime = cover.mime
    picture.desc = "Cover"
    picture.width, picture.height, picture.depth = cover.width, cover.height, 24
    picture.data = cover.data
    return picture
