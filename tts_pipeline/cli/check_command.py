"""``tts-pipeline check``: proof-listening a render, and what it prints (``render --check`` runs
it too). The work is done in ``outputs.check`` (imported when the command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tts_pipeline.cli.console import err, guarded, out
from tts_pipeline.cli.options import AsrModelOpt

WORST_SHOWN = 10  # utterances listed on the terminal (the report has them all)
DIFFERENCES_SHOWN = 6  # per utterance


def check(
    output: Annotated[
        Path,
        typer.Argument(
            help="A render's audio file, manifest or listening page (or its output directory).",
            show_default=False,
        ),
    ],
    asr_model: AsrModelOpt = None,
    mark_page: Annotated[
        bool,
        typer.Option("--page", help="Mark the flagged sentences on the listening page."),
    ] = False,
) -> None:
    """Proof-listen to a render: a speech recogniser transcribes every utterance, and each is
    scored against the spoken text (character error rate, differences, worst first). Utterances
    far worse than the rest are flagged "listen to this". Writes <name>.check.json.

    Needs the check extra: pip install 'tts-pipeline\\[check]' (in the repository: uv sync
    --group quality).

    Example: tts-pipeline check output/speech.m4b

    Example: tts-pipeline check output/speech.m4b --page     # flags on the listening page

    Example: tts-pipeline check output/speech.m4b --asr-model ~/models/whisper-small-ct2
    """
    guarded(
        lambda: proof_listen(output, asr_model, mark_page),
        interrupted="Nothing was written; run the same command to check again.",
    )


def proof_listen(output: Path, asr_model: str | None, mark_page: bool) -> None:
    """Check the render ``output`` belongs to and print what came of it."""
    from tts_pipeline.cli.progress import RichProgress
    from tts_pipeline.outputs.check.run import check_render

    with RichProgress(err) as progress:
        result = check_render(output, asr_model, page=mark_page, progress=progress)
    report = result.report
    err.print(
        f"[green]checked[/] {result.audio_seconds / 60:.1f} min of audio, "
        f"{len(report.utterances)} utterances in {result.transcribe_seconds:.1f} s "
        f"({escape(result.model)}): CER {report.cer:.3f}, median {report.median_cer:.3f}, "
        f"{len(report.flagged)} flagged (CER above {report.threshold:.2f})"
    )
    for u in report.utterances[:WORST_SHOWN]:
        mark = "[bold red]listen[/] " if u.flagged else ""
        diffs = ", ".join(
            f"{d.expected or '∅'}→{d.heard or '∅'}" for d in u.differences[:DIFFERENCES_SHOWN]
        )
        out.print(f"  {mark}{escape(u.id)}  CER {u.cer:.2f}  {escape(diffs)}", soft_wrap=True)
    out.print(f"check: {result.report_path}", markup=False)
    if result.page_marked and result.files.page is not None:
        out.print(f"listen: {result.files.page.resolve().as_uri()}", markup=False)
