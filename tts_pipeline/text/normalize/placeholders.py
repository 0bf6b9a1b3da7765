"""Template placeholders (XX亿元, 20xx年, XX中学, *一中, 某某) and how they are read aloud.

No open-source normalizer knows them: a speech template marks the values the speaker has to
fill in, and a narrator reading the letters aloud sounds broken. The policy — which reading a
placeholder gets, decided by the words around it — lives in ``data/placeholders.toml`` (its
header explains the rules and the choices); this module finds the tokens and applies the table.

In short: quantities read 若干 (XX亿元 → 若干亿元, XX% → 百分之若干), names 某某 (XX中学 →
某某中学), a whole unknown year 某年 (20xx年), a partly known one keeps its digits (202x年 →
二零二几年), dates 某月某日, ordinals 第某, known leading digits 三十多 (3X).

What counts as a placeholder letter: X, x, × and Ｘ (folded to X before this runs), in a run that
touches no other Latin letter (Xbox, MAX, SpaceX are words and stay). × or x between two numbers
is multiplication (3×4, 1920x1080) and is left to the math rule.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from tts_pipeline.text.normalize import numbers
from tts_pipeline.text.normalize.spans import Context, Edit, Rule
from tts_pipeline.text.normalize.tables import DATA_DIR, alternation

# A star is a placeholder (*一中 → 某一中) when it opens a word: after the start, a space or
# punctuation, and before anything but a space, punctuation or another star (so "**粗体**",
# "a*b" and a lone "*" stay). Both sets hold only characters that no rewrite ever produces,
# consumes or starts with, so a second pass over the output decides exactly as the first did
# (idempotence): a star before "3" or "http://…" is decided now, not after they became Chinese.
_STAR_OPENERS = r"\s,.;:!?'\"()\[\]，。、；：！？“”‘’（）《》【】「」—…·"
_STAR_CLOSERS = r"\s,.;:!?'\")\]，。、；：！？“”‘’（）《》【】「」—…·*＊"

CANDIDATE = re.compile(
    r"某某"
    r"|(?<![A-Za-z0-9])(?:[0-9]+(?:\.[0-9]*)?)?[Xx×]+(?:\.[Xx×]+)?(?![A-Za-z])"
    rf"|(?<![^{_STAR_OPENERS}])[*＊](?=[^{_STAR_CLOSERS}]|$)"
)
_FOLD = str.maketrans({"x": "X", "×": "X", "Ｘ": "X", "ｘ": "X"})


@dataclass(frozen=True)
class PolicyRow:
    kind: str
    token: re.Pattern[str]
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    consume_before: bool
    spoken: str


@cache
def _policy_file() -> dict[str, object]:
    with (DATA_DIR / "placeholders.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def vocab() -> dict[str, tuple[str, ...]]:
    raw = _policy_file()["vocab"]
    assert isinstance(raw, dict)
    return {name: tuple(words) for name, words in raw.items()}


def keep_suffixes() -> tuple[str, ...]:
    """Words after which a lone X is a Latin letter of a word (X光), not a placeholder."""
    return vocab()["keep_suffix"]


def _expand(pattern: str) -> str:
    words = vocab()
    return re.sub(r"@([a-z_]+)", lambda m: alternation(words[m.group(1)]), pattern)


@cache
def policy() -> tuple[PolicyRow, ...]:
    rows: list[PolicyRow] = []
    rules = _policy_file()["rule"]
    assert isinstance(rules, list)
    for rule in rules:
        before = rule.get("before")
        after = rule.get("after")
        rows.append(
            PolicyRow(
                kind=rule["kind"],
                token=re.compile(_expand(rule["token"])),
                before=re.compile(f"(?:{_expand(before)})$") if before else None,
                after=re.compile(_expand(after)) if after else None,
                consume_before=bool(rule.get("consume_before", False)),
                spoken=rule["spoken"],
            )
        )
    return tuple(rows)


def fold(text: str) -> str:
    """x, ×, Ｘ → X, so the policy table only has to say X."""
    return text.translate(_FOLD)


def is_multiplication(token: str, before: str, after: str) -> bool:
    """3x4, 3 × 4, 1920x1080: an x/× between two numbers is a times sign, not a placeholder."""
    if not fold(token).endswith("X") or len(token.rstrip("Xx×")) == len(token):
        return False
    run = len(token) - len(token.rstrip("Xx×"))
    if run != 1:
        return False
    digit_before = token[:-1][-1:].isdigit() or before.rstrip(" ")[-1:].isdigit()
    return digit_before and after.lstrip(" ")[:1].isdigit()


@dataclass(frozen=True)
class Reading:
    kind: str
    spoken: str
    consumed_before: int  # characters before the token that belong to the placeholder
    consumed_after: int


def classify(token: str, before: str, after: str, raw_before: str | None = None) -> Reading:
    """The first policy row matching ``token`` in its context, and the words to say.

    ``before`` is the text before the token as rewritten so far (某点 for X点X分); a row that
    consumes its ``before`` text needs it in ``raw_before`` (the unrewritten part), else skips.
    """
    folded = fold(token)
    after_folded = fold(after)
    raw = before if raw_before is None else raw_before
    for row in policy():
        if not row.token.fullmatch(folded):
            continue
        before_match = row.before.search(before) if row.before else None
        if row.before and not before_match:
            continue
        if row.consume_before and before_match and not raw.endswith(before_match.group(0)):
            continue
        after_match = row.after.match(after_folded) if row.after else None
        if row.after and not after_match:
            continue
        after_text = after[: after_match.end()] if after_match else ""
        before_text = before_match.group(0) if before_match else ""
        spoken = _render(row.spoken, token, folded, before_text, after_text)
        return Reading(
            kind=row.kind,
            spoken=spoken,
            consumed_before=len(before_text) if row.consume_before else 0,
            consumed_after=len(after_text),
        )
    return Reading("name", _mou(folded), 0, 0)  # unreachable with the shipped table


def _mou(folded: str) -> str:
    letters = sum(1 for ch in folded if ch in "X*＊")
    return "某" * max(1, min(letters, 2))


def _render(template: str, token: str, folded: str, before: str, after: str) -> str:
    leading = re.match(r"[0-9]*", folded)  # (matches always, if only the empty string)
    digits = leading.group(0) if leading else ""
    zeros = len(folded) - len(folded.rstrip("X"))
    values = {
        "token": token,
        "after": after,
        "before": before,
        "mou": _mou(folded),
        "digits": numbers.digit_string(digits),
        "approx": numbers.approximately(digits, zeros) if "." not in folded else "若干",
    }
    return re.sub(r"\{([a-z]+)\}", lambda m: values[m.group(1)], template)


def _render_candidate(match: re.Match[str], context: Context) -> Edit | None:
    token = match.group(0)
    text = match.string
    after = text[match.end() : match.end() + 16]
    if token in "*＊" and not context.after:
        return None  # a star at the very end opens nothing
    if is_multiplication(token, context.before, context.after):
        return None
    reading = classify(token, context.before, after, context.raw_before)
    if reading.kind == "keep":
        # Freeze it as written so no later rule reads the X.
        return Edit(match.start(), match.end() + reading.consumed_after, reading.spoken)
    return Edit(
        match.start() - reading.consumed_before,
        match.end() + reading.consumed_after,
        reading.spoken,
        kind=reading.kind,
    )


RULE = Rule("placeholders", CANDIDATE, _render_candidate)


# A placeholder letter left in spoken text: X/x touching no Latin letter (and not X光), or any ×.
_LEFTOVER = re.compile(r"(?<![A-Za-z])[Xx]+(?![A-Za-z])|×+|[Ｘｘ]+")
# …except the letter of a code in quotes, as the code rule speaks it: “一加X” (“1+X”).
_CODE_LETTER = re.compile(r"(?<=加)[Xx](?=[”\"」』’'])")


def _is_code_letter(match: re.Match[str]) -> bool:
    return bool(_CODE_LETTER.match(match.string, match.start())) and len(match.group(0)) == 1


_CN_NUMERAL = "零一二三四五六七八九十百千万亿两点"


def sweep(spoken: str) -> str:
    """Safety net after all rules: no placeholder letter may reach the narrator.

    Only odd inputs get here (e.g. a run the candidate pattern could not see, like USD100X).
    A × between two numerals is a times sign (乘); any other leftover run reads 某.
    """
    if not any(ch in spoken for ch in "Xx×Ｘｘ"):
        return spoken
    keep = keep_suffixes()

    def repl(match: re.Match[str]) -> str:
        run = match.group(0)
        if run in ("X", "x") and (spoken.startswith(keep, match.end()) or _is_code_letter(match)):
            return run
        before = spoken[match.start() - 1 : match.start()]
        after = spoken[match.end() : match.end() + 1]
        if len(run) == 1 and before and after and before in _CN_NUMERAL and after in _CN_NUMERAL:
            return "乘"
        return "某" * min(len(run), 2)

    return _LEFTOVER.sub(repl, spoken)
