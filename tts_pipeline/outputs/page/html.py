"""The listening page as one self-contained HTML file (CSS and JS inline, nothing fetched but the
audio file and the overview picture beside it, by relative URL), so it works from file:// and
from any static web server.

Safety: every piece of document text travels as JSON in a ``<script type="application/json">``
block with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX`` escapes, and the script
builds the DOM with ``textContent`` only. The only other document text in the markup, the
``<title>``, is HTML-escaped. A Content-Security-Policy allows exactly the inline script and style
(by their SHA-256 hashes) and media and images beside the page; nothing else loads or runs.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from tts_pipeline.atomic import write_text_atomic
from tts_pipeline.outputs.manifest import Manifest
from tts_pipeline.outputs.page.model import PageFlag, page_model

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def script_json(data: Any) -> str:
    """JSON that is inert inside ``<script type="application/json">``: no ``</script>``, no
    ``<!--``, no character an HTML or JS parser could treat specially. JSON's structure never
    uses these characters, so they can only occur inside strings, where ``\\uXXXX`` means the
    same character to JSON.parse."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_ESCAPE_RE.sub(lambda m: _JSON_ESCAPES[m.group()], text)


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            # file: for browsers whose 'self' does not cover sibling files of a file:// page;
            # blob: for a server that cannot serve ranges (page.js); data: for the page's icon.
            "media-src 'self' file: blob:",
            "img-src 'self' file: data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _asset(name: str) -> str:
    assets = resources.files("tts_pipeline.outputs.page").joinpath("assets")
    return assets.joinpath(name).read_text(encoding="utf-8")


def render_page(model: Mapping[str, Any]) -> str:
    """The page's HTML for ``model`` (see page_model)."""
    template, style, script = _asset("page.html"), _asset("page.css"), _asset("page.js")
    # The inline code is ours, not the document's; it must not end its own element early.
    assert "</script" not in script.lower() and "</style" not in style.lower()
    language = str(model.get("language", ""))
    values = {
        "lang": language if _LANG_RE.match(language) else "und",
        "csp": html.escape(content_security_policy(script, style), quote=True),
        "title": html.escape(str(model.get("title", "")) or "Listening page", quote=True),
        "style": style,
        "data": script_json(model),
        "script": script,
    }
    # One pass, so text substituted for one slot is never searched for another slot.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def write_page(path: Path, manifest: Manifest, flags: Mapping[str, PageFlag] | None = None) -> None:
    """The page of a render, written atomically (``flags``: see page_model)."""
    write_text_atomic(path, render_page(page_model(manifest, flags)))
