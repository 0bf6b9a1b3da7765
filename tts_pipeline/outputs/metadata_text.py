"""The one rule for text that goes into a container's metadata or a cue sheet.

Titles, chapter headings and tags come from the document, the command line (``--author``) and
voice presets (``display_name``). Control characters (C0, DEL, C1) and line or paragraph
separators mean nothing in a tag, and each container syntax breaks on some of them (a carriage
return ends an FFMETADATA line, a line break ends a cue-sheet command): every writer passes its
text through ``metadata_text`` and then quotes it as its own syntax needs.
"""

from __future__ import annotations

import re

# Cc (C0, DEL, C1) and the Unicode line and paragraph separators, with the spaces around them.
_BREAKS = re.compile("(?:[ ]*[\x00-\x1f\x7f-\x9f\u2028\u2029])+[ ]*")
_SURROGATES = re.compile("[\ud800-\udfff]")  # undecodable bytes of a command-line argument


def metadata_text(value: str) -> str:
    """``value`` as a tag holds it: each run of control characters (and the spaces beside it)
    becomes one space, or nothing at either end; a lone surrogate becomes U+FFFD. Everything
    else, backslashes and quotes included, is kept as it is."""

    def space(match: re.Match[str]) -> str:
        return "" if match.start() == 0 or match.end() == len(value) else " "

    return _SURROGATES.sub("\ufffd", _BREAKS.sub(space, value))
