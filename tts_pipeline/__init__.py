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

from importlib import metadata

__version__ = metadata.version("tts-pipeline")

# The API's home modules; importing them here makes ``tts_pipeline.render`` the function (the
# module stays importable as ``tts_pipeline.render`` for ``from tts_pipeline.render import …``).
from tts_pipeline.errors import PipelineError  # noqa: E402
from tts_pipeline.render import RenderResult, RenderSettings, plan, render  # noqa: E402
from tts_pipeline.text.segment import Plan  # noqa: E402
from tts_pipeline.voices import VoiceProfile  # noqa: E402

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
