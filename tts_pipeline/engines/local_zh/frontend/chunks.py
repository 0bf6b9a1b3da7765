"""Cut an utterance into pieces the acoustic model reads well.

FastSpeech2 trained on Baker sentences (mostly 10-30 characters) drifts on very long inputs, so an
utterance is cut at every sentence end and, where a sentence is still too long, at its strongest
internal breaks: clause punctuation first, then 、, then word boundaries as a last resort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tts_pipeline.engines.local_zh.frontend.g2p import segment
from tts_pipeline.engines.local_zh.frontend.text import Kind, Pause, tokenize

# Spoken characters per chunk (≈ 6 s of speech). Proof-listening (bench/quality.py) heard the
# ends of longer chunks garbled: the four worst utterances of the reference scored CER 0.168
# with chunks of up to 50 characters and 0.098 with up to 30 (Whisper base).
MAX_CHUNK_UNITS = 30


@dataclass(frozen=True)
class Chunk:
    """A piece of text synthesized in one model call, and the break that follows it."""

    text: str
    units: int
    pause_after: Pause


@dataclass(frozen=True)
class _Atom:
    text: str
    units: int
    pause: Pause  # break after this atom (WORD between plain words)


def _atoms(text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    for token in tokenize(text):
        if token.kind is Kind.PAUSE:
            if atoms:
                last = atoms[-1]
                atoms[-1] = _Atom(last.text + token.text, last.units, max(last.pause, token.pause))
            # Leading punctuation carries nothing to say; it is dropped.
            continue
        words = segment(token.text) if token.kind is Kind.HAN else [token.text]
        atoms.extend(_Atom(w, len(w), Pause.WORD) for w in words)
    return atoms


def _units(atoms: Sequence[_Atom]) -> int:
    return sum(a.units for a in atoms)


def _split_after(atoms: Sequence[_Atom], level: Pause) -> list[list[_Atom]]:
    pieces: list[list[_Atom]] = [[]]
    for i, atom in enumerate(atoms):
        pieces[-1].append(atom)
        if atom.pause >= level and i < len(atoms) - 1:
            pieces.append([])
    return pieces


def _pack(atoms: list[_Atom], limit: int, level: Pause) -> list[list[_Atom]]:
    """Cut ``atoms`` (one sentence) into groups of at most ``limit`` units, at breaks of
    ``level`` or stronger, packing neighbours together greedily; retry weaker breaks as needed."""
    if _units(atoms) <= limit or level < Pause.WORD:
        return [atoms]
    groups: list[list[_Atom]] = []
    current: list[_Atom] = []
    for piece in _split_after(atoms, level):
        if current and _units(current) + _units(piece) > limit:
            groups.append(current)
            current = []
        current = current + piece
    if current:
        groups.append(current)
    weaker = Pause(level - 1) if level > Pause.WORD else Pause.WORD
    result: list[list[_Atom]] = []
    for group in groups:
        if _units(group) > limit and level > Pause.WORD:
            result.extend(_pack(group, limit, weaker))
        else:
            result.append(group)  # one word longer than the limit stays whole
    return result


def split_chunks(text: str, max_units: int = MAX_CHUNK_UNITS) -> list[Chunk]:
    """Cut text at sentence ends, then long sentences at clause breaks (see module doc).

    Returns no chunks when nothing in ``text`` is spoken.
    """
    chunks: list[Chunk] = []
    for sentence in _split_after(_atoms(text), Pause.SENTENCE):
        if not sentence or _units(sentence) == 0:
            continue
        for group in _pack(sentence, max(1, max_units), Pause.CLAUSE):
            pause = group[-1].pause
            chunks.append(Chunk("".join(a.text for a in group), _units(group), pause))
    if chunks and chunks[-1].pause_after < Pause.SENTENCE:
        last = chunks[-1]
        chunks[-1] = Chunk(last.text, last.units, Pause.SENTENCE)
    return chunks
