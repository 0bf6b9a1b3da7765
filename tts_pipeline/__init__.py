"""tts-pipeline: turn a written speech into a narrated, chaptered audio file.

The Python API (the command line, ``tts-pipeline``, is built on it)::

    from pathlib import Path

    import tts_pipeline
    from tts_pipeline import RenderSettings, VoiceProfile

    speech = tts_pipeline.plan("speech.txt")  # what will be spoken; nothing is synthesized
    voice = VoiceProfile.load("xiaomei").with_settings(rate="+5%")
    result = tts_pipeline.render(
        "speech.txt", RenderSettings(voice=voice, output_dir=Path("out"), formats=("mp3",))
    )
    print(result.outputs["mp3"], result.duration)

Errors a user can cause (a missing file, a bad setting, an unreachable service) raise
``PipelineError`` with a one-line message.
"""

from __future__ import annotations

import sys
from importlib import import_module, metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = metadata.version("tts-pipeline")

if TYPE_CHECKING:
    from tts_pipeline.errors import PipelineError
    from tts_pipeline.prepare import plan
    from tts_pipeline.render import render
    from tts_pipeline.settings import RenderResult, RenderSettings
    from tts_pipeline.text.segment import Plan
    from tts_pipeline.voices import VoiceProfile

__all__ = [
    "PipelineError",
    "Plan",
    "RenderResult",
    "RenderSettings",
    "VoiceProfile",
    "__version__",
    "plan",
    "render",
]

# Where each name of the API lives. Each is imported when it is first asked for, not with the
# package: every command's start, its --help and each synthesis worker process import the
# package and need none of them (the render stack takes over a second to import).
_HOMES = {
    "PipelineError": "tts_pipeline.errors",
    "Plan": "tts_pipeline.text.segment",
    "RenderResult": "tts_pipeline.settings",
    "RenderSettings": "tts_pipeline.settings",
    "VoiceProfile": "tts_pipeline.voices",
    "plan": "tts_pipeline.prepare",
    "render": "tts_pipeline.render",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """The package, whose ``render`` stays the API's function: the import system sets each
    submodule as an attribute of its package when it loads it, and the module
    ``tts_pipeline.render`` would otherwise take the function's name."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "render" and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
