"""A batch's summary for people (stderr): a table of the documents (done, failed or skipped, the
length of the audio, the time taken), each failure's reason on a line of its own, the warnings,
then one line of totals."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tts_pipeline.cli.console import err, warn
from tts_pipeline.outputs.batch_report import BatchReport, Outcome

_STYLES = {Outcome.DONE: "green", Outcome.FAILED: "bold red", Outcome.SKIPPED: "dim"}


def print_summary(report: BatchReport) -> None:
    table = Table(box=None, pad_edge=False)
    table.add_column("document")
    table.add_column("status")
    table.add_column("audio", justify="right")
    table.add_column("time", justify="right")
    for document in report.documents:
        done = document.outcome is Outcome.DONE
        table.add_row(
            Text(str(document.source)),
            Text(document.outcome.value, style=_STYLES[document.outcome]),
            f"{document.duration / 60:.1f} min" if done else "",
            f"{document.seconds:.1f} s" if done else "",
        )
    err.print(table)
    for document in report.documents:
        if document.outcome is Outcome.FAILED:
            err.print(
                f"[bold red]failed:[/] {escape(str(document.source))}: {escape(document.reason)}",
                soft_wrap=True,
            )
        warn(tuple(f"{document.source}: {w}" for w in document.warnings))
    warn(report.warnings)
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome)
    err.print(
        f"{len(report.documents)} documents: {counts} in {report.wall_seconds:.1f} s "
        f"({report.characters_per_second:.0f} spoken characters per second)",
        style="bold red" if report.failed else None,
        soft_wrap=True,
    )
