"""The overview picture: the programme's waveform with chapter boundaries (``<stem>.png``).

The waveform is a min/max (and RMS) envelope per pixel column (``audio.envelope``), gathered from
the 16-bit PCM chunks as they stream to the encoder, so the programme is never decoded or held
whole. Chapter titles are drawn when a CJK-capable font is installed (found with
fontconfig or at the usual places; nothing is downloaded); otherwise chapters are labelled with
their numbers, and the listening page shows the numbered titles next to the picture.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tts_pipeline.audio.envelope import Envelope


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


def _fit(
    draw_: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    room: float,
) -> str:
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
        family = " ".join((face.getname()[0] or "").split()).upper()
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
