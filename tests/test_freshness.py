"""What makes a render's files out of date (outputs.freshness): the input's bytes and what shaped
the files besides them; the date only when it is given; a render helped by a fallback voice is
never up to date. The documents are planned for real; nothing is synthesized."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.audio_tools import tone, write_wav
from tts_pipeline.engines.registry import engine_for
from tts_pipeline.outputs.freshness import up_to_date
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.prepare import PreparedDocument, prepare
from tts_pipeline.production import ProductionSettings
from tts_pipeline.settings import RenderSettings
from tts_pipeline.text.normalize.fills import load_fills
from tts_pipeline.voices import load_profile

SPEECH = "会议讲话\n\n欢迎XX中学的各位老师。\n\n谢谢大家！\n"


def prepared(tmp_path: Path, **settings: Any) -> PreparedDocument:
    made = RenderSettings(output_dir=tmp_path / "out", **settings)
    return prepare(
        tmp_path / "speech.txt", made, engine_for(made.voice), OutputLayout(tmp_path, "speech")
    )


def test_what_changes_the_settings_digest(tmp_path: Path) -> None:
    (tmp_path / "speech.txt").write_text(SPEECH, encoding="utf-8")
    (tmp_path / "fills.toml").write_text('"XX中学" = "第一中学"\n', encoding="utf-8")
    base = prepared(tmp_path).provenance
    assert prepared(tmp_path).provenance == base  # the same run again (the date left out)
    changed = {
        "fill-ins": prepared(tmp_path, fills=load_fills(tmp_path / "fills.toml")),
        "rate": prepared(tmp_path, voice=load_profile(None).with_settings(rate="+10%")),
        "pause": prepared(tmp_path, voice=load_profile(None).with_settings(pauses={"title": 2})),
        "loudness": prepared(tmp_path, loudness=-16.0),
        "author": prepared(tmp_path, author="校长办公室"),
        "date given": prepared(tmp_path, date="2024-09-10"),
    }
    for what, document in changed.items():
        assert document.provenance.input_sha256 == base.input_sha256, what
        assert document.provenance.settings_sha256 != base.settings_sha256, what
    # The production's sounds count by their content, not their name.
    write_wav(tmp_path / "intro.wav", tone(0.5, 440.0), 24_000)
    intro = prepared(tmp_path, production=ProductionSettings(intro=tmp_path / "intro.wav"))
    assert intro.provenance.settings_sha256 != base.settings_sha256
    write_wav(tmp_path / "intro.wav", tone(0.5, 660.0), 24_000)
    other = prepared(tmp_path, production=ProductionSettings(intro=tmp_path / "intro.wav"))
    assert other.provenance.settings_sha256 not in {
        base.settings_sha256,
        intro.provenance.settings_sha256,
    }
    # Which files are asked for is not in it (a missing one is out of date anyway).
    assert prepared(tmp_path, formats=("mp3",), page=False).provenance == base
    (tmp_path / "speech.txt").write_text(SPEECH + "\n再见！\n", encoding="utf-8")
    assert prepared(tmp_path).provenance.input_sha256 != base.input_sha256


def test_up_to_date_needs_every_file_and_the_same_digests(tmp_path: Path) -> None:
    (tmp_path / "speech.txt").write_text(SPEECH, encoding="utf-8")
    document = prepared(tmp_path, formats=("mp3",), page=False, subtitles=False)
    expected = document.expected
    assert set(expected) == {"mp3", "manifest"}
    record = {
        "input_sha256": document.provenance.input_sha256,
        "settings_sha256": document.provenance.settings_sha256,
    }
    expected["mp3"].write_bytes(b"audio")
    expected["manifest"].write_text(json.dumps(record), encoding="utf-8")
    assert up_to_date(expected, expected["manifest"], document.provenance)
    other = prepared(tmp_path, formats=("mp3",), page=False, subtitles=False, author="某某")
    assert not up_to_date(other.expected, other.layout.manifest, other.provenance)
    expected["manifest"].write_text(json.dumps({**record, "fallback": {}}), encoding="utf-8")
    assert not up_to_date(expected, expected["manifest"], document.provenance)
    expected["manifest"].write_text(json.dumps(record), encoding="utf-8")
    expected["mp3"].unlink()
    assert not up_to_date(expected, expected["manifest"], document.provenance)
