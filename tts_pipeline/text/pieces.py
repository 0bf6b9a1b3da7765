"""A paragraph's written text → pieces of it, each with what is said for it, none saying more
than the limit.

Paragraphs are split by their written length (``split_long``) before they are respelled and
normalized; a fill-in, a lexicon entry or a spelled-out number can still make the spoken text
longer. Such a piece is respelled and normalized again in smaller pieces where it stands (same
fill-ins): its sentences, else its clauses, else its halves, cut where no number, word or
fill-in key is cut; and the pieces are packed again up to the limit. Pieces that fit are never
touched, so a document whose spoken text fits is planned exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from tts_pipeline.text.normalize import DocumentNormalizer, PlaceholderHit
from tts_pipeline.text.normalize.fills import FillMap, fold_text
from tts_pipeline.text.proofread import TypoFlag
from tts_pipeline.text.respell import LexiconHit, Respelled

# Utterances longer than this (characters) are split at sentence ends. Well under edge-tts's
# request limit (~4,000 bytes ≈ 1,300 CJK characters) and short enough for steady prosody.
MAX_UTTERANCE_CHARS = 300

SENTENCE_SPLIT = re.compile(r"(?<=[。！？；!?;…])(?![”’」』》）)\]\"'。！？；!?;…])|(?<=[.](?=\s))")
CLAUSE_SPLIT = re.compile(r"(?<=[，、,：:])")


def split_long(text: str, limit: int = MAX_UTTERANCE_CHARS) -> list[str]:
    """Split text longer than ``limit`` at sentence ends; a longer sentence at clause marks;
    a longer clause at the limit. Pieces are packed greedily up to the limit."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for sentence in _split_keep(text, SENTENCE_SPLIT):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for clause in _split_keep(sentence, CLAUSE_SPLIT):
            pieces.extend(clause[i : i + limit] for i in range(0, len(clause), limit))
    return _pack(pieces, limit)


def _split_keep(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [p for p in (s.strip() for s in pattern.split(text)) if p]


def _pack(pieces: list[str], limit: int) -> list[str]:
    packed: list[str] = []
    for piece in pieces:
        joiner = " " if packed and _needs_space(packed[-1], piece) else ""
        if packed and len(packed[-1]) + len(joiner) + len(piece) <= limit:
            packed[-1] = packed[-1] + joiner + piece
        else:
            packed.append(piece)
    return packed


def _needs_space(left: str, right: str) -> bool:
    return left[-1:].isascii() and right[:1].isascii()


@dataclass(frozen=True)
class Piece:
    """Written text and what is said for it."""

    text: str
    spoken: str
    placeholders: tuple[PlaceholderHit, ...] = ()
    typos: tuple[TypoFlag, ...] = ()
    hits: tuple[LexiconHit, ...] = ()  # the lexicon's replacements and homophones


# Written text → what normalization gets, with the typos and lexicon entries found in it.
Respeller = Callable[[str], Respelled]


# Characters a cut must not separate (numbers, Latin words, links, placeholders), on text folded
# to ASCII digits and letters.
_TOKEN_CHAR = re.compile(r"[0-9A-Za-z.,:;%/+\-~×@_#&=*]")


def spoken_pieces(
    text: str, normalizer: DocumentNormalizer, respeller: Respeller, limit: int
) -> list[Piece]:
    pieces = _fit(text, normalizer, respeller, limit)
    return pieces if len(pieces) == 1 else _pack_pieces(pieces, limit)


def _fit(
    text: str, normalizer: DocumentNormalizer, respeller: Respeller, limit: int
) -> list[Piece]:
    mark = normalizer.checkpoint()
    respelled = respeller(text)
    normalized = normalizer(respelled.text)
    said = Piece(text, normalized.spoken, normalized.placeholders, respelled.typos, respelled.hits)
    if len(normalized.spoken) <= limit:
        return [said]
    parts = _finer(text, normalizer.fills)
    if parts is None:
        return _forced(said, limit)
    normalizer.rewind(mark)
    return [piece for part in parts for piece in _fit(part, normalizer, respeller, limit)]


def _finer(text: str, fills: FillMap | None) -> list[str] | None:
    """``text`` in smaller pieces: its sentences, else its clauses, else two halves; None when
    it cannot be cut."""
    for pattern in (SENTENCE_SPLIT, CLAUSE_SPLIT):
        parts = _split_keep(text, pattern)
        if len(parts) > 1:
            return parts
    folded = fold_text(text)
    inside = {
        i for start, end in (fills.spans(text) if fills else []) for i in range(start + 1, end)
    }
    cuts = [
        i
        for i in range(1, len(text))
        if i not in inside
        and not _TOKEN_CHAR.match(folded[i - 1])
        and not _TOKEN_CHAR.match(folded[i])
    ]
    if not cuts:
        return None
    cut = min(cuts, key=lambda i: abs(2 * i - len(text)))
    parts = [p for p in (text[:cut].strip(), text[cut:].strip()) if p]
    return parts if parts != [text] else None


def _forced(whole: Piece, limit: int) -> list[Piece]:
    """A text that cannot be cut (one fill-in key, one long run of digits and signs) whose
    spoken text is too long: the spoken text is cut, the written text at the same proportions
    (or, too short for that, each piece shows what it says); what was found in it goes with the
    first piece."""
    text, spoken = whole.text, whole.spoken
    said = split_long(spoken, limit)
    pieces: list[Piece] = []
    done = 0
    for i, part in enumerate(said):
        start = round(len(text) * done / len(spoken))
        done += len(part)
        end = len(text) if i == len(said) - 1 else round(len(text) * done / len(spoken))
        written = text[start:end].strip() or part
        pieces.append(replace(whole, text=written, spoken=part) if i == 0 else Piece(written, part))
    return pieces


def _pack_pieces(pieces: list[Piece], limit: int) -> list[Piece]:
    """Consecutive pieces joined while both the written and the spoken text fit ``limit``."""
    packed: list[Piece] = []
    for piece in pieces:
        if packed:
            last = packed[-1]
            text_joiner = " " if _needs_space(last.text, piece.text) else ""
            said_joiner = " " if _needs_space(last.spoken, piece.spoken) else ""
            text = last.text + text_joiner + piece.text
            spoken = last.spoken + said_joiner + piece.spoken
            if len(text) <= limit and len(spoken) <= limit:
                shift = len(last.text) + len(text_joiner)
                moved = tuple(
                    replace(hit, start=hit.start + shift, end=hit.end + shift)
                    for hit in piece.placeholders
                )
                packed[-1] = Piece(
                    text,
                    spoken,
                    last.placeholders + moved,
                    last.typos + piece.typos,
                    last.hits + piece.hits,
                )
                continue
        packed.append(piece)
    return packed
