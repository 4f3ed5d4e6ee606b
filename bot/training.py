"""Train the Rasa model, cached by a hash of its inputs.

The services' environment never imports rasa: it calls the Rasa engine's environment (created by
``scripts/setup-rasa.sh``) through its executables. A trained model is stored in the cache as
``<cache>/rasa-models/<key>.tar.gz`` where ``key`` is a sha256 over every training input (config,
domain, data including the compiled FAQ) and the rasa version, so an unchanged project never
trains twice. Running the trained model: :mod:`bot.runner`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import BotError
from common.paths import cache_dir, repo_root

__all__ = [
    "QUIET_ENV",
    "RASA_VERSION",
    "TrainResult",
    "bot_dir",
    "build_content",
    "input_hash",
    "model_path",
    "rasa_env",
    "tail_of",
    "train",
    "training_inputs",
]

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_INPUT_SUFFIXES = (".yml", ".yaml")
# No network at run time: Rasa's telemetry would try to reach a third party.
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def bot_dir() -> Path:
    """The Rasa project folder of this checkout."""
    return repo_root() / "bot"


def rasa_env(*, root: Path | None = None) -> Path:
    """The Rasa engine's environment, created on first use by ``scripts/setup-rasa.sh`` (prints its path)."""
    override = os.environ.get("RATHAUS_RASA_ENV")
    if override:
        return Path(override)
    script = (root or repo_root()) / "scripts" / "setup-rasa.sh"
    if not script.exists():
        raise BotError(f"{script} is missing: the Rasa environment cannot be located; restore the checkout")
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BotError(
            f"scripts/setup-rasa.sh failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}\n"
            "Fix the reported problem (Python 3.10 needed) and run `bash scripts/setup-rasa.sh` again."
        )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if not lines:
        raise BotError("scripts/setup-rasa.sh printed no environment path; run it by hand to see why")
    env = Path(lines[-1].strip())
    if not (env / "bin" / "rasa").exists():
        raise BotError(f"{env}/bin/rasa not found: delete {env} and run `bash scripts/setup-rasa.sh` again")
    return env


#: Rasa's training data folders: the hand-written ``data`` and the content build's ``generated/data``.
DATA_DIRS = ("data", "generated/data")
#: What earlier releases wrote into the Rasa project; removed before training, or Rasa would read stale copies.
_LEGACY_OUTPUTS = ("data/generated", "domain/generated", "data/faq.yml", "content_index.json",
                   "content_vectors.npy", "cities")


def training_inputs(project: Path) -> list[Path]:
    """Every file that determines the trained model: config.yml, domain/**, data/** and generated/data/**."""
    files = [project / "config.yml"]
    for folder in ("domain", *DATA_DIRS):
        base = project / folder
        if base.is_file():
            files.append(base)
        elif base.is_dir():
            files.extend(sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in _INPUT_SUFFIXES))
    missing = [p for p in files if not p.exists()]
    if missing:
        raise BotError(f"training input {missing[0]} is missing: restore it (bot/config.yml is versioned)")
    return files


def _canonical(path: Path) -> bytes:
    """A YAML file's parsed content as canonical JSON, so comments and formatting do not retrain;
    the raw bytes if it does not parse (Rasa will then report the error when training)."""
    data = path.read_bytes()
    try:
        parsed = yaml.safe_load(data)
    except yaml.YAMLError:
        return data
    return json.dumps(parsed, sort_keys=True, ensure_ascii=False, default=str).encode()


def input_hash(project: Path, *, rasa_version: str = RASA_VERSION) -> str:
    """sha256 over the rasa version and each training input's relative path and parsed content."""
    digest = hashlib.sha256()
    digest.update(f"rasa=={rasa_version}\n".encode())
    for path in training_inputs(project):
        digest.update(path.relative_to(project).as_posix().encode() + b"\0")
        data = _canonical(path)
        digest.update(str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def model_path(key: str, *, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / "rasa-models" / f"{key}.tar.gz"


def _remove_legacy_outputs(project: Path) -> None:
    for relative in _LEGACY_OUTPUTS:
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        logger.info("bot.content.legacy_removed path=%s", path)


def build_content(project: Path) -> bool:
    """Compile the editors' content into the project's ``generated/`` folder (``rathaus content build``:
    with ``RATHAUS_CITIES`` every city's index, docs/cities.md); True if files changed.

    The compiler writes only changed files, so an unchanged content tree leaves the model key alone.
    Outputs of earlier releases (``data/generated`` ...) are removed first: Rasa would train on them.
    """
    try:
        import content
    except ImportError as exc:  # pragma: no cover - content ships with the project
        raise BotError("the content package is not importable; install the project (.venv)") from exc
    _remove_legacy_outputs(project)
    try:
        results = content.build_installation(project / content.GENERATED_DIR)
    except content.ContentError as exc:
        raise BotError(f"content has errors, the assistant was not trained:\n{exc}\n"
                       "Fix them (see `rathaus content check`) and train again.") from exc
    changed = sum(len(result.changed) for result in results)
    if changed:
        logger.info("bot.content.built changed=%d cities=%d topics=%d", changed, len(results), results[0].topics)
    return bool(changed)


@dataclass(frozen=True, slots=True)
class TrainResult:
    model: Path
    key: str
    cached: bool
    seconds: float
    content_changed: bool


def tail_of(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def train(
    *,
    project: Path | None = None,
    force: bool = False,
    with_content: bool = True,
    env: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Build content, then train unless a model for the same inputs is in the cache."""
    project = project or bot_dir()
    say = log or (lambda message: logger.info("%s", message))
    changed = build_content(project) if with_content else False
    key = input_hash(project)
    target = model_path(key)
    if target.exists() and not force:
        say(f"model up to date: {target}")
        return TrainResult(model=target, key=key, cached=True, seconds=0.0, content_changed=changed)
    target.parent.mkdir(parents=True, exist_ok=True)
    # One training per key at a time: a second process (another test session, `bot eval`) waits for
    # the first and then finds the model in the cache.
    with open(target.parent / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and not force:
            say(f"model up to date (trained by another process): {target}")
            return TrainResult(model=target, key=key, cached=True, seconds=0.0, content_changed=changed)
        return _train_locked(project, key, target, env or rasa_env(), say, changed)


def _train_locked(project: Path, key: str, target: Path, env: Path, say: Callable[[str], None],
                  changed: bool) -> TrainResult:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rathaus-train-", dir=target.parent) as tmp:
        log_path = target.parent / f"{key}.train.log"
        say(f"training the assistant (log: {log_path})")
        command = [
            str(env / "bin" / "rasa"), "train",
            "--config", "config.yml", "--domain", "domain", "--data", *DATA_DIRS,
            "--out", tmp, "--fixed-model-name", key,
        ]
        with open(log_path, "wb") as handle:
            code = subprocess.run(command, cwd=project, stdout=handle, stderr=subprocess.STDOUT,
                                  env={**os.environ, **QUIET_ENV}, check=False).returncode
        produced = Path(tmp) / f"{key}.tar.gz"
        if code != 0 or not produced.exists():
            raise BotError(f"rasa train failed (exit {code}); see {log_path}:\n{tail_of(log_path)}")
        os.replace(produced, target)  # same filesystem: atomic
    seconds = time.monotonic() - started
    say(f"trained in {seconds:.0f} s: {target}")
    return TrainResult(model=target, key=key, cached=False, seconds=seconds, content_changed=changed)
