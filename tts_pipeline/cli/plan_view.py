"""``tts-pipeline plan`` for people: chapters, utterances, the written and the spoken text side by
side with what differs highlighted, placeholders, the lexicon entries used, likely typos and what
was left out."""

from __future__ import annotations

import difflib

from rich.text import Text

from tts_pipeline.cli.console import out
from tts_pipeline.text.respell import UNSUPPORTED
from tts_pipeline.text.segment import Plan


def print_plan(the_plan: Plan) -> None:
    out.print(Text(the_plan.title, style="bold"))
    if the_plan.selected is not None:
        chosen = ", ".join(map(str, the_plan.selected))
        out.print(Text(f"Chapters {chosen} of {len(the_plan.chapters)}", style="dim"))
    for number, chapter in enumerate(the_plan.chapters, 1):
        if the_plan.selected is not None and number not in the_plan.selected:
            continue
        out.print()
        out.print(Text(f"Chapter {number}: {chapter.title}", style="bold cyan"))
        for u in chapter.utterances:
            out.print(Text(f"  {u.id}  pause {u.pause_after:.1f}s", style="dim"))
            written, spoken = diff_texts(u.text, u.spoken)
            out.print(Text("    written: ", style="dim") + written)
            out.print(Text("    spoken:  ", style="dim") + spoken)
            unsaid = [x for x in the_plan.unspeakable if x.utterance == u.id]
            if unsaid:
                label = "silent:    " if unsaid[0].silent else "left out:  "
                texts = "  ".join(x.text for x in unsaid)
                out.print(Text(f"    {label}", style="dim") + Text(texts, style="bold red"))
    if the_plan.placeholders:
        out.print()
        out.print(Text("Placeholders (fill them with --fill FILE):", style="bold yellow"))
        for p in the_plan.placeholders:
            out.print(f"  {p.utterance}  {p.text} → {p.spoken}")
    if the_plan.lexicon:
        out.print()
        out.print(Text("Lexicon (how these words are said):", style="bold"))
        for h in the_plan.lexicon:
            how = "read as written: the engine takes no pinyin" if h.kind == UNSUPPORTED else ""
            out.print(f"  {h.utterance}  {h.text} → {how or h.spoken}")
    if the_plan.typos:
        out.print()
        fixed = all(t.fixed for t in the_plan.typos)
        heading = (
            "Typos (fixed, --fix-typos):"
            if fixed
            else "Possible typos (--fix-typos says the suggestions):"
        )
        out.print(Text(heading, style="bold yellow"))
        for t in the_plan.typos:
            out.print(f"  {t.utterance}  {t.text} → {t.suggestion}")
    if the_plan.unspeakable:
        out.print()
        out.print(
            Text(
                "Text this voice cannot say is left out (silent: the utterance has nothing "
                "it can say); another voice may say it (--voice).",
                style="bold red",
            )
        )
    if the_plan.removed:
        out.print()
        out.print(Text("Removed (not read aloud):", style="bold"))
        width = max(len(line.rule) for line in the_plan.removed)
        for line in the_plan.removed:
            out.print(
                Text(f"  {line.rule:<{width}}  ", style="cyan") + Text(line.text, style="dim")
            )


def diff_texts(written: str, spoken: str) -> tuple[Text, Text]:
    """Both texts with the parts that differ highlighted."""
    a, b = Text(), Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, written, spoken).get_opcodes():
        style = "" if op == "equal" else "bold yellow"
        a.append(written[i1:i2], style=style)
        b.append(spoken[j1:j2], style="" if op == "equal" else "bold green")
    return a, b
