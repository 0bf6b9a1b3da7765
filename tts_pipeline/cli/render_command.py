"""The ``render`` command: one document, or a batch of many (on this machine or on Ray), and
optionally proof-listening to what it rendered. It parses its options, calls the pipeline and
prints what came of it (the work is imported when the command runs, so ``--help`` stays quick)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tts_pipeline.cli.console import err, guarded, note, one_line, out, warn
from tts_pipeline.cli.options import (
    AsrModelOpt,
    CacheDirOpt,
    ChaptersOpt,
    ChapterSoundOpt,
    FillOpt,
    FixTyposOpt,
    IntroOpt,
    KeepAllOpt,
    LexiconOpt,
    MusicLevelOpt,
    MusicOpt,
    OutputDirOpt,
    OutroOpt,
    SourcesArg,
    SplitOpt,
    TitleOpt,
    VoiceOpt,
    VoiceSettings,
    fill_file,
    lexicon_files,
    loudness_target,
    with_voice_settings,
)
from tts_pipeline.errors import SettingsError

if TYPE_CHECKING:
    from tts_pipeline.settings import RenderSettings

# A batch in which some document failed (the others were rendered); 2 stays a user's mistake
# that stopped everything before it started.
BATCH_FAILED_EXIT = 1


@with_voice_settings
def render(
    sources: SourcesArg,
    output_dir: OutputDirOpt = Path("output"),
    voice: VoiceOpt = None,
    fill: FillOpt = None,
    title: TitleOpt = None,
    keep_all: KeepAllOpt = False,
    lexicon: LexiconOpt = None,
    fix_typos: FixTyposOpt = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=32,
            help="Work done at once: requests in flight for edge voices (default 4), worker "
            "processes for offline voices (default: one per CPU core).",
            show_default=False,
        ),
    ] = None,
    cache_dir: CacheDirOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Synthesize everything; keep no takes.")
    ] = False,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Output format, repeatable: m4b (default), m4a, mp3, opus, flac, wav.",
            show_default=False,
        ),
    ] = None,
    loudness: Annotated[
        str,
        typer.Option("--loudness", help="Target loudness in LUFS (EBU R128), or 'off'."),
    ] = "-18",
    author: Annotated[
        str | None,
        typer.Option("--author", help="Artist/author tag (default: the voice's name)."),
    ] = None,
    cover: Annotated[
        Path | None,
        typer.Option("--cover", help="Cover art (JPEG or PNG) embedded where the format allows."),
    ] = None,
    fallback: Annotated[
        str | None,
        typer.Option(
            "--fallback",
            metavar="offline|PRESET",
            help="When the voice's engine fails (e.g. edge-tts unreachable), speak the "
            "utterances it could not deliver with this voice: 'offline' (the offline voice "
            "for the language) or a preset name.",
            show_default=False,
        ),
    ] = None,
    no_page: Annotated[
        bool,
        typer.Option(
            "--no-page",
            help="Write no listening page (<name>.html: audio, chapters and a transcript that "
            "follows the voice) and no waveform overview (<name>.png).",
        ),
    ] = False,
    chapters: ChaptersOpt = None,
    split: SplitOpt = None,
    intro: IntroOpt = None,
    outro: OutroOpt = None,
    chapter_sound: ChapterSoundOpt = None,
    music: MusicOpt = None,
    music_level: MusicLevelOpt = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Then proof-listen to the render (as `tts-pipeline check OUTPUT --page`; "
            "needs the check extra).",
        ),
    ] = False,
    asr_model: AsrModelOpt = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            metavar="local|ray",
            help="Where a batch runs: local (this machine's cores) or ray (a Ray cluster; "
            "needs the ray extra: pip install 'tts-pipeline[ray]').",
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="ADDRESS",
            help="The Ray cluster to run on (host:port of its head); default: a local Ray "
            "started for the run.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="In a batch, render the documents whose files are up to date too."
        ),
    ] = False,
    *,
    settings: VoiceSettings,
) -> None:
    """Render SOURCES to chaptered audio books (M4B) plus subtitles, chapters and a manifest.

    One file is one render. Several files, folders or patterns are a batch: each document's
    files go under -o (by its name; names that collide keep their folders), documents whose
    files are up to date are skipped (--force renders them), a document that fails does not stop
    the others, and OUTPUT_DIR/batch.json lists what became of each; the exit code is 1 when
    any document failed.

    Example: tts-pipeline render speech.txt -o output/

    Example: tts-pipeline render speech.docx --title "开学典礼致辞"

    Example: cat speech.txt | tts-pipeline render -

    Example: tts-pipeline render speech.txt --format m4b --format mp3 --loudness -16

    Example: tts-pipeline render speech.txt --fill event.toml

    Example: tts-pipeline render speech.txt --lexicon names.toml --fix-typos

    Example: tts-pipeline render speech.txt --voice yunyang --rate +5% --fallback offline

    Example: tts-pipeline render speech.txt --voice zh-CN-XiaoxiaoNeural --jobs 2

    Example: tts-pipeline render speech.txt --chapters 2-4 --split chapters --split whole

    Example: tts-pipeline render speech.txt --intro intro.mp3 --outro outro.mp3
    --chapter-sound chime.wav --music bed.ogg --music-level -28

    Example: tts-pipeline render speech.txt --check    # then proof-listen to it

    Example: tts-pipeline render lectures/ 'archive/**/*.txt' -o narrated/

    Example: tts-pipeline render lectures/ -o narrated/ --executor ray --ray-address head:6379
    """

    def run() -> None:
        from tts_pipeline.batch.sources import is_batch
        from tts_pipeline.cli.check_command import proof_listen
        from tts_pipeline.cli.progress import RichProgress
        from tts_pipeline.production import parse_music_level
        from tts_pipeline.render import RenderSettings
        from tts_pipeline.render import render as render_speech
        from tts_pipeline.voices import fallback_profile

        if asr_model is not None and not check:
            raise SettingsError("--asr-model chooses proof-listening's recogniser: add --check")
        batch = is_batch(sources) or executor != "local" or ray_address is not None
        if check and batch:
            raise SettingsError(
                "--check proof-listens one render: run `tts-pipeline check` on a batch's files"
            )
        if check:
            from tts_pipeline.outputs.check.run import require_recogniser

            require_recogniser(asr_model)  # before the render, not after it
        profile = settings.profile(voice)
        production = profile.production.with_overrides(
            intro=intro,
            outro=outro,
            chapter_sound=chapter_sound,
            music=music,
            music_level=parse_music_level(music_level) if music_level is not None else None,
        )
        render_settings = RenderSettings(
            voice=profile,
            output_dir=output_dir,
            fills=fill_file(fill),
            lexicon=lexicon_files(lexicon),
            fix_typos=fix_typos,
            jobs=jobs,
            fallback=fallback_profile(fallback, profile) if fallback else None,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            formats=tuple(formats or ()),
            loudness=loudness_target(loudness),
            author=author,
            cover=cover,
            page=not no_page,
            title=title,
            keep_all=keep_all,
            chapters=chapters,
            split=tuple(split or ()),
            production=production,
        )
        if batch:
            _render_batch(sources, render_settings, executor, ray_address, force)
            return
        with RichProgress(err) as progress:
            result = render_speech(sources[0], render_settings, progress=progress)
        err.print(
            f"[green]done[/] {result.duration / 60:.1f} min of audio, "
            f"{result.utterances} utterances ({result.synthesized} synthesized, "
            f"{result.reused} reused) in {result.wall_seconds:.1f} s"
        )
        if result.fallback_ids:
            err.print(
                f"[yellow]fallback:[/] {len(result.fallback_ids)} utterance(s) spoken by "
                f"{escape(result.fallback_voice or '?')} instead of {escape(profile.name)} "
                f"({escape(one_line(result.fallback_reason or ''))}): "
                f"{', '.join(result.fallback_ids)}; run the same command again later to "
                f"replace them with {escape(profile.name)}",
                soft_wrap=True,
            )
        warn(result.warnings)
        note(result.notes)
        for kind, path in result.outputs.items():
            out.print(f"{kind}: {path}")
        if "page" in result.outputs:
            out.print(f"listen: {result.outputs['page'].resolve().as_uri()}", markup=False)
        if check:
            proof_listen(result.outputs["manifest"], asr_model, "page" in result.outputs)

    guarded(run)


def _render_batch(
    sources: list[Path],
    settings: RenderSettings,
    executor: str,
    ray_address: str | None,
    force: bool,
) -> None:
    """A batch: its progress, then its summary (stderr) and report (stdout: where it is)."""
    from tts_pipeline.batch.run import render_batch
    from tts_pipeline.cli.batch_view import print_summary
    from tts_pipeline.cli.progress import RichBatchProgress
    from tts_pipeline.outputs.layout import batch_report

    with RichBatchProgress(err) as progress:
        report = render_batch(
            sources,
            settings,
            force=force,
            executor=executor,
            ray_address=ray_address,
            progress=progress,
        )
    print_summary(report)
    out.print(f"report: {batch_report(settings.output_dir)}", markup=False)
    if report.failed:
        raise typer.Exit(BATCH_FAILED_EXIT)
