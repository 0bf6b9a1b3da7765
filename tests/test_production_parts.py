"""The pieces of the production controls (issue 18) on their own: chapter SPECs, safe chapter
file names, playlists, clips on the timeline, the music bed's gain."""

from __future__ import annotations

import numpy as np
import pytest

from tts_pipeline.audio.music import MUSIC_UNDER_SPEECH_DB, MusicBed, duck_depth
from tts_pipeline.audio.timeline import TimelineBuilder, cue_grid
from tts_pipeline.audio.trim import Cut
from tts_pipeline.errors import SettingsError
from tts_pipeline.outputs.layout import parse_splits, safe_title
from tts_pipeline.outputs.playlist import PlaylistEntry, m3u8
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import build_plan
from tts_pipeline.text.selection import parse_chapter_spec

SR = 24_000


@pytest.mark.parametrize(
    ("spec", "count", "chosen"),
    [("3", 5, (3,)), ("2-4", 5, (2, 3, 4)), ("1,3,7", 7, (1, 3, 7)), ("4-", 6, (4, 5, 6)),
     (" 2 - 3 , 5", 5, (2, 3, 5)), ("3,9", 4, (3,))],
)  # fmt: skip
def test_chapter_specs(spec: str, count: int, chosen: tuple[int, ...]) -> None:
    assert parse_chapter_spec(spec).numbers(count) == chosen


@pytest.mark.parametrize("spec", ["", "x", "2-x", "0", "4-2", "1,,2", "-3", "1.5"])
def test_malformed_chapter_specs(spec: str) -> None:
    with pytest.raises(SettingsError, match="--chapters"):
        parse_chapter_spec(spec)


def test_safe_titles() -> None:
    assert safe_title("第一，提高认识") == "第一，提高认识"
    assert safe_title('a/b\\c:d*e?f"g<h>i|j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_title("line\nbreak\ttab\x7f") == "line_break_tab_"
    assert safe_title("  trailing dots... ") == "trailing dots"
    assert safe_title("e\u0301") == "\u00e9"  # composed
    long = safe_title("很" * 100)
    assert len(long) == 48
    assert len(safe_title("很" * 100, max_bytes=30).encode("utf-8")) <= 30


def test_splits() -> None:
    assert parse_splits(None) == ("whole",)
    assert parse_splits(["chapters", "whole", "chapters"]) == ("chapters", "whole")
    assert parse_splits(["Chapters,whole"]) == ("chapters", "whole")
    with pytest.raises(SettingsError, match="--split must be whole or chapters"):
        parse_splits(["pages"])


def test_playlist() -> None:
    text = m3u8(
        [PlaylistEntry("a-01-开场白.m4b", 61.6, "开场白"), PlaylistEntry("b.m4b", 2.2, "x\ny")],
        "讲话",
    )
    assert text == (
        "#EXTM3U\n#PLAYLIST:讲话\n#EXTINF:62,开场白\na-01-开场白.m4b\n#EXTINF:2,x y\nb.m4b\n"
    )


def _timeline(clips: dict[str, int]):  # type: ignore[no-untyped-def]
    plan = build_plan(parse("Title\n# One\nA.\nB.\n# Two\nC.\n"))
    builder = TimelineBuilder(plan, SR, cue_grid(SR), clips)
    written = []
    for n, _ in enumerate(plan.utterances):
        written += builder.place(Cut(0, 12_000 + 1000 * n, 720, 11_280 + 1000 * n))
    written += builder.closing()
    return builder.finish(), written


def test_clips_shift_everything_after_them_by_their_length() -> None:
    grid = cue_grid(SR)
    intro, sound, outro = 40 * grid, 7 * grid, 10 * grid
    plain, _ = _timeline({})
    timeline, written = _timeline({"intro": intro, "chapter_sound": sound, "outro": outro})
    assert sum(s.length for s in written) == timeline.total
    chapters = len(plain.chapters)
    assert chapters == 2
    assert timeline.total == plain.total + intro + chapters * sound + outro
    for before, after in zip(plain.placements, timeline.placements, strict=True):
        assert after.start - before.start == intro + (before.chapter + 1) * sound
    for n, (before, after) in enumerate(zip(plain.chapters, timeline.chapters, strict=True)):
        assert after.start == (0 if n == 0 else before.start + intro + n * sound)
        assert after.start % grid == 0
    kinds = [(c.kind, c.start, c.chapter) for c in timeline.clips]
    assert kinds[0] == ("intro", 0, 0) and kinds[1] == ("chapter_sound", intro, 0)
    assert [k for k, _, _ in kinds] == ["intro", *["chapter_sound"] * chapters, "outro"]
    assert timeline.clips[-1].end == timeline.total
    assert [s.kind for s in written[:3]] == ["intro", "chapter_sound", "take"]


def test_the_music_bed_ducks_under_the_voice() -> None:
    loop = np.full(SR, 0.1, dtype=np.float32)
    depth = duck_depth(-26.0, -18.0)
    assert depth == -26.0 - (-18.0 - MUSIC_UNDER_SPEECH_DB)
    bed = MusicBed(loop, SR, depth, 0.1)
    voice = (3 * SR, 5 * SR)
    gains = bed.gains(0, 8 * SR, [voice], (0, None))
    assert gains[0] == pytest.approx(0.0, abs=1e-6)  # fades in
    assert gains[2 * SR] == pytest.approx(1.0)  # full level between utterances
    under = gains[voice[0] : voice[1]]
    assert np.allclose(under, 10 ** (-depth / 20))
    assert gains[voice[0] - SR // 8] < 1.0  # it goes down before the voice starts
    assert gains[voice[1] + SR] == pytest.approx(1.0)  # and comes back after it
    ending = bed.gains(10 * SR, bed.tail, [], (0, 10 * SR + bed.tail))
    assert ending[0] == pytest.approx(1.0, abs=1e-3) and ending[-1] < 1e-3  # fades out
    mixed, top = bed.mix(np.zeros(SR, dtype=np.float32), SR, [voice], (0, None))
    assert top == pytest.approx(1.0) and np.allclose(mixed, 0.1)
