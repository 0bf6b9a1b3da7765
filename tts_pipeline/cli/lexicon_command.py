"""``tts-pipeline lexicon``: where the user lexicon is, and every entry in force."""

from __future__ import annotations

from tts_pipeline.cli.console import guarded, out
from tts_pipeline.cli.options import LexiconOpt, lexicon_files


def lexicon(lexicon: LexiconOpt = None) -> None:
    """Show the lexicon in force: where your user lexicon is, and every entry (with --lexicon
    FILE, those files on top, checked as plan and render read them).

    Your user lexicon is always read; create it to change how words are said everywhere.

    Example: tts-pipeline lexicon --lexicon names.toml
    """

    def run() -> None:
        from tts_pipeline.text.lexicon import user_lexicon_path

        path = user_lexicon_path()
        in_force = lexicon_files(lexicon)
        state = "" if path.is_file() else " (not there yet: create it to use it)"
        out.print(f"user lexicon: {path}{state}", markup=False)
        for source in in_force.sources:
            out.print(f"read: {source}", markup=False)
        for e in in_force.entries:
            said = [f"pinyin {' '.join(e.pinyin)}"] if e.pinyin else []
            said += [f"spoken {e.spoken!r}"] if e.spoken is not None else []
            said += ["whole word"] if e.whole_word else []
            said += [f"engines {', '.join(e.engines)}"] if e.engines else []
            out.print(f"  {e.text}  {'; '.join(said)}  ({e.source})", markup=False)
        out.print(f"{len(in_force.entries)} entries", markup=False)

    guarded(run)
