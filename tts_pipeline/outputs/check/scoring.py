"""Comparing a transcript with the text that was meant to be spoken. Pure functions.

Both texts are folded the same way (simplified characters, no punctuation or spaces, the digits a
recogniser writes turned into the words our normalizer says), aligned character by character
(Levenshtein), and the character error rate (CER) is the number of edits over the length of the
expected text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from tts_pipeline.text.normalize import normalize
from tts_pipeline.text.script import simplified

# ---------------------------------------------------------------------------------------------
# Folding


def _is_kept(ch: str) -> bool:
    """Letters and digits are spoken; punctuation, spaces and symbols are not compared."""
    return unicodedata.category(ch)[0] in "LN"


def fold_text(text: str, language: str) -> str:
    """``text`` as compared: NFKC (full-width → ASCII), lower case, for Chinese traditional →
    simplified (``text.script``: the recogniser may write either) and numbers → words (our
    normalizer), then only letters and digits."""
    text = unicodedata.normalize("NFKC", text).lower()
    if language.lower().startswith("zh"):
        text = normalize(simplified(text), language).spoken
    return "".join(ch for ch in text if _is_kept(ch))


# ---------------------------------------------------------------------------------------------
# Alignment


@dataclass(frozen=True)
class Difference:
    """A stretch where what was heard differs from what was expected.

    ``position`` is the offset of ``expected`` in the folded expected text; an empty
    ``expected`` is an insertion (heard, not meant), an empty ``heard`` a deletion (not heard).
    """

    position: int
    expected: str
    heard: str

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "expected": self.expected, "heard": self.heard}


@dataclass(frozen=True)
class Alignment:
    errors: int  # substitutions + deletions + insertions
    differences: tuple[Difference, ...]


def align(expected: str, heard: str) -> Alignment:
    """The minimal edit alignment of ``heard`` to ``expected``, with the differing stretches
    merged (adjacent edits form one difference)."""
    n, m = len(expected), len(heard)
    # cost[i][j]: edits turning expected[:i] into heard[:j]
    cost = [list(range(m + 1))]
    for i in range(1, n + 1):
        row = [i] + [0] * m
        above = cost[i - 1]
        e = expected[i - 1]
        for j in range(1, m + 1):
            row[j] = min(
                above[j - 1] + (e != heard[j - 1]),
                above[j] + 1,
                row[j - 1] + 1,
            )
        cost.append(row)
    # Walk back; on ties prefer a match/substitution, so differences stay compact.
    steps: list[tuple[int, int, bool]] = []  # (i, j, equal) of each step's end, reversed
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (expected[i - 1] != heard[j - 1]):
            steps.append((i - 1, j - 1, expected[i - 1] == heard[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            steps.append((i - 1, -1, False))
            i -= 1
        else:
            steps.append((-1, j - 1, False))
            j -= 1
    steps.reverse()
    differences: list[Difference] = []
    run_e: list[str] = []
    run_h: list[str] = []
    run_at = 0
    consumed = 0  # expected characters before the current step

    def close() -> None:
        if run_e or run_h:
            differences.append(Difference(run_at, "".join(run_e), "".join(run_h)))
            run_e.clear()
            run_h.clear()

    for ei, hj, equal in steps:
        if equal:
            close()
        else:
            if not run_e and not run_h:
                run_at = consumed
            if ei >= 0:
                run_e.append(expected[ei])
            if hj >= 0:
                run_h.append(heard[hj])
        if ei >= 0:
            consumed += 1
    close()
    return Alignment(cost[n][m], tuple(differences))


def cer(errors: int, expected_length: int) -> float:
    """Character error rate; an empty expected text scores 0 if nothing was heard, else 1."""
    if expected_length == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / expected_length
