"""``tts-pipeline voices``: the voice presets or the edge-tts voices; one voice's settings."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.text import Text

from tts_pipeline.cli.console import guarded, out
from tts_pipeline.cli.options import VoiceSettings, with_voice_settings

voices_app = typer.Typer(
    help="List the voice presets or the edge-tts voices; show one preset's settings.\n\n"
    "Examples:\n\n"
    "  tts-pipeline voices                          # presets (name, engine, voice, settings)\n\n"
    "  tts-pipeline voices --engine edge --locale zh-CN --gender Female\n\n"
    "  tts-pipeline voices show yunyang --rate +10%  # effective settings, as TOML",
)


@voices_app.callback(invoke_without_command=True)
def voices(
    ctx: typer.Context,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="'edge': the edge-tts service's voices (live, or the shipped list when the "
            "service cannot be reached); another engine name: only its presets.",
            show_default=False,
        ),
    ] = None,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale", help="Edge voices of this locale, e.g. zh-CN or zh.", show_default=False
        ),
    ] = None,
    gender: Annotated[
        str | None,
        typer.Option(
            "--gender", help="Edge voices of this gender: Female or Male.", show_default=False
        ),
    ] = None,
) -> None:
    """List the voice presets (or, with --engine edge / --locale / --gender, edge voices).

    Example: tts-pipeline voices --locale zh-CN --gender Male
    """
    if ctx.invoked_subcommand is not None:
        return

    def run() -> None:
        from tts_pipeline.engines.registry import ENGINE_NAMES
        from tts_pipeline.errors import SettingsError

        if engine is not None and engine not in ENGINE_NAMES:
            raise SettingsError(f"unknown engine {engine!r}; engines: {', '.join(ENGINE_NAMES)}")
        if engine == "edge" or ((locale or gender) and engine is None):
            _print_edge_voices(locale, gender)
        elif locale or gender:
            raise SettingsError("--locale and --gender filter edge voices: add --engine edge")
        else:
            _print_presets(engine)

    guarded(run)


@voices_app.command("show")
@with_voice_settings
def voices_show(
    name: Annotated[str, typer.Argument(help="Preset name, edge voice short name or .toml file.")],
    *,
    settings: VoiceSettings,
) -> None:
    """Print one voice's effective settings as TOML (options apply on top, as in render).

    Save the output in the user preset folder to make it a preset of your own.

    Example: tts-pipeline voices show yunyang --rate +10% > my-yunyang.toml
    """

    def run() -> None:
        from tts_pipeline.voices import profile_toml

        sys.stdout.write(profile_toml(settings.profile(name)))

    guarded(run)


def _print_presets(engine: str | None) -> None:
    from rich import box
    from rich.table import Table

    from tts_pipeline.voices import DEFAULT_VOICE, list_presets, user_presets_dir

    table = Table(
        title="Voice presets",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("voice", overflow="fold", min_width=20)
    table.add_column("lang", no_wrap=True)
    table.add_column("rate pitch vol", no_wrap=True)
    table.add_column("pauses t s p c", no_wrap=True)
    for entry in list_presets():
        profile = entry.profile
        if engine is not None and (profile is None or profile.engine != engine):
            continue
        name = entry.name + ("*" if entry.name == DEFAULT_VOICE else "")
        if entry.source == "user":
            name += " (user)"
        if profile is None:
            table.add_row(name, "", Text(entry.error or "", style="red"), "", "", "")
            continue
        voice_cell = Text(profile.voice)
        about = profile.description or profile.display_name
        if entry.shadowed:
            about += " (replaced by a user preset)"
        voice_cell.append("\n" + about, style="dim")
        p = profile.pauses
        table.add_row(
            name,
            profile.engine,
            voice_cell,
            profile.language,
            f"{profile.rate} {profile.pitch} {profile.volume}",
            f"{p.title:g} {p.sentence:g} {p.paragraph:g} {p.chapter:g}",
        )
    out.print(table)
    out.print(
        f"* the default. Pauses in seconds after the title, a sentence, a paragraph, a chapter. "
        f"Your own presets go in {user_presets_dir()} (searched first). Any edge voice works "
        "by its short name: tts-pipeline voices --engine edge"
    )


def _print_edge_voices(locale: str | None, gender: str | None) -> None:
    from rich.table import Table

    from tts_pipeline.engines.edge.engine import EdgeEngine
    from tts_pipeline.engines.edge.voices import LIVE, snapshot_source

    voices, source = EdgeEngine().list_voices(locale, gender)
    if source == LIVE:
        heading = "edge-tts voices (live from the service)"
    else:
        heading = (
            "edge-tts voices (shipped snapshot, the service could not be reached; "
            f"{snapshot_source().split(':')[0]})"
        )
    table = Table(title=heading, title_justify="left")
    table.add_column("voice", style="bold", no_wrap=True)
    table.add_column("locale", no_wrap=True)
    table.add_column("gender", no_wrap=True)
    table.add_column("suited to", overflow="fold")
    for v in voices:
        tag = v.get("VoiceTag") or {}
        suited = ", ".join([*tag.get("ContentCategories", []), *tag.get("VoicePersonalities", [])])
        table.add_row(v.get("ShortName", ""), v.get("Locale", ""), v.get("Gender", ""), suited)
    out.print(table)
    example = voices[0].get("ShortName", "") if voices else "zh-CN-YunyangNeural"
    out.print(f"{len(voices)} voice(s). Use one by its name: --voice {example}")
