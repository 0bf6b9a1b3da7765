"""The overview picture: the programme's waveform with chapter boundaries (``<stem>.png``).

The waveform is a min/max (and RMS) envelope per pixel column, accumulated from the 16-bit PCM
chunks as they stream to the encoder (``GrowingEnvelope.feed``), so the programme is never
decoded or held whole. Chapter titles are drawn when a CJK-capable font is installed (found with
fontconfig or at the usual places; nothing is downloaded); otherwise chapters are labelled with
their numbers, and the listening page shows the numbered titles next to the picture.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tts_pipeline.export import atomic_path


@dataclass(frozen=True)
class Layout:
    """Where things are in the picture (pixels). The page maps clicks with the same numbers."""

    width: int = 1200
    height: int = 300
    left: int = 14  # the waveform spans x in [left, width - right)
    right: int = 14
    label_top: int = 8  # chapter number badges and titles
    wave_top: int = 44
    wave_bottom: int = 258
    axis_top: int = 262  # time ticks and their labels

    @property
    def columns(self) -> int:
        return self.width - self.left - self.right

    def x(self, seconds: float, duration: float) -> float:
        if duration <= 0:
            return float(self.left)
        return self.left + min(max(seconds / duration, 0.0), 1.0) * self.columns


LAYOUT = Layout()

BACKGROUND = (255, 255, 255)
BAND = (243, 245, 249)  # every other chapter's background
PEAK = (160, 185, 230)  # min/max envelope
RMS = (47, 95, 190)  # RMS inside it
CENTRE = (200, 205, 215)
BOUNDARY = (90, 96, 110)
BADGE = (47, 95, 190)
BADGE_TEXT = (255, 255, 255)
TITLE_TEXT = (40, 44, 52)
AXIS_TEXT = (110, 116, 128)
TICK_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)  # seconds

# Font files to try when fontconfig is not there (Debian/Ubuntu, Fedora, macOS, Windows).
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


class Envelope:
    """Per-column min, max and RMS of a programme of ``total`` samples, fed in PCM chunks.

    Sample ``s`` belongs to column ``s * columns // total``. Chunks are 16-bit little-endian mono
    PCM in programme order (what the production streams to ffmpeg); any chunk size works.
    """

    def __init__(self, total: int, columns: int = LAYOUT.columns) -> None:
        if columns < 1:
            raise ValueError("an envelope needs at least one column")
        self.total = max(int(total), 1)
        self.columns = columns
        self.low = np.zeros(columns, dtype=np.float32)
        self.high = np.zeros(columns, dtype=np.float32)
        self._squares = np.zeros(columns, dtype=np.float64)
        self._counts = np.zeros(columns, dtype=np.int64)
        self.fed = 0  # samples seen

    def feed(self, chunk: bytes) -> None:
        samples = np.frombuffer(chunk, dtype="<i2", count=len(chunk) // 2)
        start = self.fed
        self.fed += len(samples)
        end = min(self.fed, self.total)  # anything past the announced length is ignored
        if end <= start:
            return
        samples = samples[: end - start]
        first = start * self.columns // self.total
        last = (end - 1) * self.columns // self.total
        cols = np.arange(first, last + 1, dtype=np.int64)
        # First sample of each column (ceil(c * total / columns)), relative to this chunk.
        offsets = np.maximum(-(-cols * self.total // self.columns), start) - start
        values = samples.astype(np.float32) / 32768.0
        span = slice(first, last + 1)
        self.low[span] = np.minimum(self.low[span], np.minimum.reduceat(values, offsets))
        self.high[span] = np.maximum(self.high[span], np.maximum.reduceat(values, offsets))
        self._squares[span] += np.add.reduceat(values.astype(np.float64) ** 2, offsets)
        self._counts[span] += np.diff(np.append(offsets, len(values)))

    def tap(self, pcm: Iterable[bytes]) -> Iterator[bytes]:
        """Pass ``pcm`` through unchanged, feeding every chunk on the way."""
        for chunk in pcm:
            self.feed(chunk)
            yield chunk

    @property
    def rms(self) -> np.ndarray:
        return np.sqrt(self._squares / np.maximum(self._counts, 1)).astype(np.float32)


class GrowingEnvelope:
    """An Envelope for a programme whose length is known only at its end.

    Samples are gathered in bins (min, max, sum of squares, count); whenever there are more than
    ``max_bins`` the bins are merged in pairs, so memory stays flat however long the programme
    runs and every pixel column still sums at least ``max_bins / 2 / columns`` bins.
    """

    def __init__(
        self, columns: int = LAYOUT.columns, bin_samples: int = 1, max_bins: int = 0
    ) -> None:
        self.columns = columns
        self.bin = bin_samples
        self.max_bins = max_bins or 16 * columns
        self._low = np.zeros(0, dtype=np.float32)
        self._high = np.zeros(0, dtype=np.float32)
        self._squares = np.zeros(0, dtype=np.float64)
        self._counts = np.zeros(0, dtype=np.int64)
        self.fed = 0

    def feed(self, chunk: bytes) -> None:
        values = np.frombuffer(chunk, dtype="<i2", count=len(chunk) // 2).astype(np.float32)
        if not len(values):
            return
        values /= 32768.0
        # Coarser bins first if this chunk would overflow them (a bin never spans more than a
        # pixel column, and a long chunk never makes more than max_bins bins).
        while (self.fed + len(values)) > self.bin * self.max_bins:
            self._merge()
        start = self.fed
        self.fed += len(values)
        first, last = start // self.bin, (self.fed - 1) // self.bin
        bins = np.arange(first, last + 1, dtype=np.int64)
        offsets = np.maximum(bins * self.bin, start) - start
        low = np.minimum.reduceat(values, offsets)
        high = np.maximum.reduceat(values, offsets)
        squares = np.add.reduceat(values.astype(np.float64) ** 2, offsets)
        counts = np.diff(np.append(offsets, len(values)))
        have = len(self._low)
        if first < have:  # the first bin continues the last one of the previous chunk
            self._low[first] = min(self._low[first], low[0])
            self._high[first] = max(self._high[first], high[0])
            self._squares[first] += squares[0]
            self._counts[first] += counts[0]
            low, high, squares, counts = low[1:], high[1:], squares[1:], counts[1:]
        self._low = np.concatenate([self._low, low])
        self._high = np.concatenate([self._high, high])
        self._squares = np.concatenate([self._squares, squares])
        self._counts = np.concatenate([self._counts, counts])
        while len(self._low) > self.max_bins:
            self._merge()

    def _merge(self) -> None:
        if not len(self._low):
            self.bin *= 2
            return
        if len(self._low) % 2:  # pad with an empty bin so pairs line up
            self._low = np.append(self._low, np.float32(0))
            self._high = np.append(self._high, np.float32(0))
            self._squares = np.append(self._squares, 0.0)
            self._counts = np.append(self._counts, 0)
        self._low = self._low.reshape(-1, 2).min(axis=1)
        self._high = self._high.reshape(-1, 2).max(axis=1)
        self._squares = self._squares.reshape(-1, 2).sum(axis=1)
        self._counts = self._counts.reshape(-1, 2).sum(axis=1)
        self.bin *= 2
        used = -(-self.fed // self.bin)  # drop the padding bin if it holds nothing
        self._low, self._high = self._low[:used], self._high[:used]
        self._squares, self._counts = self._squares[:used], self._counts[:used]

    def envelope(self) -> Envelope:
        """The Envelope of all that was fed (a bin counts in its first sample's column)."""
        out = Envelope(self.fed, self.columns)
        if not self.fed:
            return out
        cols = np.arange(len(self._low), dtype=np.int64) * self.bin * self.columns // out.total
        np.minimum.at(out.low, cols, self._low)
        np.maximum.at(out.high, cols, self._high)
        np.add.at(out._squares, cols, self._squares)
        np.add.at(out._counts, cols, self._counts)
        out.fed = self.fed
        return out


@dataclass(frozen=True)
class ChapterSpan:
    title: str
    start: float  # seconds
    end: float


def draw(
    envelope: Envelope,
    chapters: Sequence[ChapterSpan],
    duration: float,
    layout: Layout = LAYOUT,
    cjk_font: str | None = None,
) -> Image.Image:
    """The overview picture. ``cjk_font`` is a font file for titles outside Latin script (None:
    such titles are left out and the chapter numbers stand alone)."""
    image = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    draw_ = ImageDraw.Draw(image)
    xs = [layout.x(c.start, duration) for c in chapters] + [float(layout.width - layout.right)]
    for n in range(1, len(chapters), 2):  # alternate chapter bands
        draw_.rectangle((xs[n], layout.wave_top, xs[n + 1], layout.wave_bottom), fill=BAND)
    _draw_wave(draw_, envelope, layout)
    for n in range(1, len(chapters)):
        x = round(xs[n])
        draw_.line((x, layout.label_top, x, layout.wave_bottom), fill=BOUNDARY, width=1)
    _draw_labels(draw_, chapters, xs, layout, cjk_font)
    _draw_axis(draw_, duration, layout)
    return image


def _draw_wave(draw_: ImageDraw.ImageDraw, envelope: Envelope, layout: Layout) -> None:
    mid = (layout.wave_top + layout.wave_bottom) / 2
    half = (layout.wave_bottom - layout.wave_top) / 2 - 1
    draw_.line((layout.left, mid, layout.width - layout.right - 1, mid), fill=CENTRE)
    columns = min(envelope.columns, layout.columns)
    rms = envelope.rms
    for c in range(columns):
        x = layout.left + c
        top, bottom = mid - envelope.high[c] * half, mid - envelope.low[c] * half
        if bottom - top >= 1:
            draw_.line((x, top, x, bottom), fill=PEAK)
        r = float(rms[c]) * half
        if r >= 0.5:
            draw_.line((x, mid - r, x, mid + r), fill=RMS)


def _draw_labels(
    draw_: ImageDraw.ImageDraw,
    chapters: Sequence[ChapterSpan],
    xs: Sequence[float],
    layout: Layout,
    cjk_font: str | None,
) -> None:
    number_font = ImageFont.load_default(size=16)
    latin_font = ImageFont.load_default(size=17)
    title_font = _truetype(cjk_font, 17) if cjk_font else None
    badge_h = 26
    for n, chapter in enumerate(chapters):
        label = str(n + 1)
        x0 = round(xs[n]) + 4
        room_end = xs[n + 1] - 6
        badge_w = max(badge_h, round(draw_.textlength(label, font=number_font)) + 10)
        if x0 + badge_w > room_end + 4 and n:  # too narrow even for the number: a bare line
            continue
        box = (x0, layout.label_top, x0 + badge_w, layout.label_top + badge_h)
        draw_.rounded_rectangle(box, radius=badge_h // 2, fill=BADGE)
        draw_.text(
            ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
            label,
            font=number_font,
            fill=BADGE_TEXT,
            anchor="mm",
        )
        font = latin_font if _is_latin(chapter.title) else title_font
        if font is None:
            continue
        room = room_end - (box[2] + 6)
        text = _fit(draw_, chapter.title.strip(), font, room)
        if text:
            draw_.text(
                (box[2] + 6, (box[1] + box[3]) / 2),
                text,
                font=font,
                fill=TITLE_TEXT,
                anchor="lm",
            )


def _draw_axis(draw_: ImageDraw.ImageDraw, duration: float, layout: Layout) -> None:
    font = ImageFont.load_default(size=16)
    if duration <= 0:
        return
    step = next((s for s in TICK_STEPS if duration / s <= 10), TICK_STEPS[-1])
    t = 0
    while t <= duration + 1e-9:
        x = round(layout.x(t, duration))
        draw_.line((x, layout.wave_bottom, x, layout.axis_top + 4), fill=AXIS_TEXT)
        anchor = "la" if t == 0 else ("ra" if x > layout.width - layout.right - 20 else "ma")
        draw_.text((x, layout.axis_top + 9), clock(t), font=font, fill=AXIS_TEXT, anchor=anchor)
        t += step


def clock(seconds: float) -> str:
    """0:05, 12:30, 1:02:03."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _fit(draw_: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, room: float) -> str:
    if room < 20 or not text:
        return ""
    if draw_.textlength(text, font=font) <= room:
        return text
    for cut in range(len(text) - 1, 0, -1):
        candidate = text[:cut].rstrip() + "…"
        if draw_.textlength(candidate, font=font) <= room:
            return candidate
    return ""


def _is_latin(text: str) -> bool:
    """Text the bundled Latin font can draw (Basic Latin, Latin-1, Latin Extended, punctuation)."""
    return all(ord(ch) < 0x250 or 0x2000 <= ord(ch) <= 0x206F for ch in text)


@lru_cache(maxsize=8)
def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont | None:
    """The font at ``path``; in a collection, the Simplified Chinese face when there is one."""
    faces: list[ImageFont.FreeTypeFont] = []
    for index in range(16):
        try:
            faces.append(ImageFont.truetype(path, size, index=index))
        except OSError:
            break
    if not faces:
        return None
    for face in faces:
        family = " ".join(face.getname()[0].split()).upper()
        if family.endswith((" SC", " CN", " HANS")) or "SIMPLIFIED" in family:
            return face
    return faces[0]


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """A font file that can draw Chinese, from fontconfig or the usual places; None if none."""
    files = set(_fontconfig("fc-list", ":lang=zh"))
    if files:
        # fontconfig's own choice of a regular sans-serif face for Chinese, if it covers Chinese.
        best = _fontconfig("fc-match", "sans-serif:lang=zh-cn:style=Regular")
        if best and best[0] in files:
            return best[0]
        return min(files, key=lambda f: ("Serif" in f, "Regular" not in f, f))
    return next((p for p in CJK_FONT_CANDIDATES if Path(p).is_file()), None)


def _fontconfig(tool: str, pattern: str) -> list[str]:
    """Font files from ``fc-list``/``fc-match`` (empty when fontconfig is not installed)."""
    exe = shutil.which(tool)
    if not exe:
        return []
    try:
        listing = subprocess.run(
            [exe, "--format", "%{file}\n", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in listing.splitlines() if line.strip()]


def needs_cjk(titles: Iterable[str]) -> bool:
    return not all(_is_latin(t) for t in titles)


def write_overview(
    path: Path,
    envelope: Envelope,
    chapters: Sequence[ChapterSpan],
    duration: float,
    layout: Layout = LAYOUT,
) -> bool:
    """Draw and write the PNG atomically. Returns whether the chapter titles are in it (False:
    some titles needed a CJK font and none was found, so those chapters show numbers only)."""
    png, titled = overview_png(envelope, chapters, duration, layout)
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
    return titled


def overview_png(
    envelope: Envelope,
    chapters: Sequence[ChapterSpan],
    duration: float,
    layout: Layout = LAYOUT,
) -> tuple[bytes, bool]:
    """The picture as PNG bytes, and whether the chapter titles are in it."""
    font = find_cjk_font() if needs_cjk(c.title for c in chapters) else None
    titled = font is not None or not needs_cjk(c.title for c in chapters)
    buffer = io.BytesIO()
    draw(envelope, chapters, duration, layout, font).save(buffer, format="PNG")
    return buffer.getvalue(), titled
