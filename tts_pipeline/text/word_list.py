"""The words the segmenter (jieba) knows, as proofreading asks about them: is this span a word?

A word list is its words sorted by their UTF-8 bytes, one a line, searched by bisection: asking
costs microseconds. jieba's dictionary file (about 350,000 lines) becomes one in a fifth of a
second, more under load: the file is nearly sorted already, and making one bytes object per word
is what costs. So it is made once per process and a render keeps it in the take cache
(``TakeCache.words_dir``) for the next run, which reads it in milliseconds. The kept copy starts
with the SHA-256 of its words and is made again when that does not match; its name carries the
size and time of jieba's file, so another jieba makes another copy. jieba itself,
whose loading takes seconds, is never loaded here.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from tts_pipeline.atomic import atomic_path

_HEAD = re.compile(rb"^[^ \n]+", re.M)  # a line of jieba's file is "word frequency tag"


class Dictionary:
    """A sorted word list (see the module doc), read when it is first asked about."""

    def __init__(self, words: bytes | Callable[[], bytes]) -> None:
        self._blob: bytes | None = words if isinstance(words, bytes) else None
        self._load: Callable[[], bytes] | None = None if isinstance(words, bytes) else words

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Dictionary:
        ordered = sorted({w.encode("utf-8") for w in words if w and "\n" not in w})
        return cls(b"\n".join(ordered) + b"\n" if ordered else b"")

    @property
    def blob(self) -> bytes:
        if self._blob is None:
            self._blob = self._load() if self._load is not None else b""
        return self._blob

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        key, blob = word.encode("utf-8"), self.blob
        lo, hi = 0, len(blob)  # lo and hi are always the start of a line (or the end)
        while lo < hi:
            start = blob.rfind(b"\n", lo, (lo + hi) // 2) + 1 or lo
            end = blob.find(b"\n", start)
            line = blob[start:end]
            if line == key:
                return True
            if line < key:
                lo = end + 1
            else:
                hi = start
        return False


class SegmenterWords(Dictionary):
    """jieba's main dictionary (the words it segments with): the copy kept in ``folder`` if
    there is a whole one, else made in memory; nothing is read before the first question.
    ``keep`` puts a copy made here into ``folder`` (a render does, once it is sure to write:
    a plan, or a render that stops at its checks, writes nothing)."""

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__(self._read_or_make)
        self.folder = folder
        self._made = False

    def _kept(self) -> Path | None:
        source = _jieba_dictionary()
        if self.folder is None or source is None:
            return None
        stat = source.stat()
        return self.folder / f"jieba-words-{stat.st_size}-{stat.st_mtime_ns}"

    def _read_or_make(self) -> bytes:
        kept = self._kept()
        if kept is not None:
            with contextlib.suppress(OSError):
                digest, _, words = kept.read_bytes().partition(b"\n")
                if hashlib.sha256(words).hexdigest().encode() == digest:
                    return words
        source = _jieba_dictionary()
        if source is None:  # pragma: no cover - jieba is a dependency
            return b""
        self._made = True
        return made_from(source)

    def keep(self) -> None:
        """Keep the words in ``folder`` if they were made here (best effort: without the copy
        the next run makes them again)."""
        kept = self._kept()
        if kept is None or not self._made:
            return
        words = self.blob
        with contextlib.suppress(OSError), atomic_path(kept) as tmp:
            tmp.write_bytes(hashlib.sha256(words).hexdigest().encode() + b"\n" + words)
        self._made = False


@cache
def default_words() -> SegmenterWords:
    """The word list made in memory, once per process, for whoever names no folder."""
    return SegmenterWords()


@cache
def made_from(source: Path) -> bytes:
    """The sorted word list of a jieba dictionary file."""
    words = _HEAD.findall(source.read_bytes())
    words.sort()  # the file is nearly sorted: milliseconds
    return b"\n".join(words) + b"\n"


def _jieba_dictionary() -> Path | None:
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "dict.txt"
