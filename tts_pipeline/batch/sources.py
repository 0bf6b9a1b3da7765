"""The documents of a batch: files, folders (their speech files, sorted, subfolders included) and
patterns (``lectures/*.txt``, ``archive/**/*.md``; expanded here too, for shells that do not).

A file named on its own is a document whatever its name; a folder or a pattern contributes the
files the text stage reads (``text.sources.DOCUMENT_SUFFIXES``); a folder's walk leaves out
hidden files and folders, and the output folder when it lies inside (the files of an earlier run
are not speeches). A file found twice counts once.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline.text.sources import DOCUMENT_SUFFIXES

_PATTERN_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class FoundDocuments:
    """What the sources named: the documents (in order), the named files that are not there,
    and the folders and patterns that gave no document."""

    documents: tuple[Path, ...]
    missing: tuple[Path, ...] = ()
    empty: tuple[str, ...] = ()


def is_batch(sources: Sequence[str | Path]) -> bool:
    """Whether the sources make a batch: more than one, a folder, or a pattern. One file is
    the single render it always was (a missing one included: it fails as it always did)."""
    if len(sources) != 1:
        return True
    source = str(sources[0])
    return Path(source).is_dir() or (_is_pattern(source) and not Path(source).exists())


def find_documents(sources: Sequence[str | Path], outputs: Path | None = None) -> FoundDocuments:
    """The documents the sources name, in the order given (each folder's and pattern's sorted)."""
    skip = Path(os.path.abspath(outputs)) if outputs is not None else None
    documents: list[Path] = []
    missing: list[Path] = []
    empty: list[str] = []
    seen: set[Path] = set()

    def add(paths: Iterable[Path], source: str) -> None:
        count = 0
        for path in paths:
            count += 1
            key = Path(os.path.realpath(path))
            if key not in seen:
                seen.add(key)
                documents.append(path)
        if not count:
            empty.append(source)

    for given in map(str, sources):
        path = Path(given)
        if path.is_dir():
            add(_folder_documents(path, skip), given)
        elif path.exists() or path.is_symlink() or not _is_pattern(given):
            if path.exists() or path.is_symlink():
                add([path], given)
            else:
                missing.append(path)
        else:
            add(_pattern_documents(given), given)
    return FoundDocuments(tuple(documents), tuple(missing), tuple(empty))


def _is_pattern(text: str) -> bool:
    return any(c in _PATTERN_CHARACTERS for c in text)


def _folder_documents(folder: Path, skip: Path | None) -> list[Path]:
    found: list[Path] = []
    for root, folders, files in os.walk(folder):  # symbolic links to folders are not followed
        here = Path(root)
        folders[:] = sorted(f for f in folders if not f.startswith(".") and not _is(here / f, skip))
        found += [here / f for f in sorted(files) if _is_document(here / f)]
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _pattern_documents(pattern: str) -> list[Path]:
    found: list[Path] = []
    for match in sorted(glob.glob(pattern, recursive=True)):
        path = Path(match)
        if _is_document(path):
            found.append(path)
    return found


def _is_document(path: Path) -> bool:
    return (
        path.suffix.lower() in DOCUMENT_SUFFIXES
        and not path.name.startswith(".")
        and path.is_file()
    )


def _is(path: Path, folder: Path | None) -> bool:
    return folder is not None and Path(os.path.abspath(path)) == folder
