"""Editor-maintained municipal content: schema, checker and compiler for the Rasa assistant.

Public API::

    load_content(root) -> Content          # raises ContentError listing every problem
    check_content(root) -> list[Problem]   # errors and warnings, sorted by file and line
    build(root, out_dir) -> BuildResult    # check, then write Rasa data, responses, content index
    vocabulary(root) -> list[str]          # local terms for ASR hotwords
    default_root() -> Path                 # $RATHAUS_CONTENT or content/musterstadt, checked
    resolve_content_root(environ) -> Path  # the same, for settings (content/root.py)
    resolve_cities(environ) -> tuple[City]  # $RATHAUS_CITIES, the default city first (docs/cities.md)
    build_installation(out_dir) -> results  # every city's content index, the default city's training data
"""

from __future__ import annotations

from pathlib import Path

from content.checker import check_content, load_content
from content.cities import build_cities, build_installation, city_index_dir
from content.compiler import GENERATED_DIR, BuildResult, build
from content.errors import ContentError, Problem
from content.model import Content
from content.root import (
    CITIES_ENV,
    CONTENT_ENV,
    City,
    ContentRootError,
    resolve_cities,
    resolve_content_root,
    valid_city_id,
)
from content.schema import Municipality, Office, Topic
from content.vocabulary import vocabulary

__all__ = [
    "CITIES_ENV",
    "CONTENT_ENV",
    "City",
    "BuildResult",
    "Content",
    "ContentError",
    "ContentRootError",
    "Municipality",
    "Office",
    "Problem",
    "Topic",
    "build",
    "build_cities",
    "GENERATED_DIR",
    "build_installation",
    "city_index_dir",
    "check_content",
    "default_out_dir",
    "default_root",
    "load_content",
    "resolve_cities",
    "resolve_content_root",
    "valid_city_id",
    "vocabulary",
]


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_root() -> Path:
    """``$RATHAUS_CONTENT`` if set, else the sample municipality ``content/musterstadt`` (see content/root.py)."""
    return resolve_content_root()


def default_out_dir() -> Path:
    """The generated folder of the Rasa project of this checkout, ``bot/generated/`` (``GENERATED_DIR``)."""
    return _repo_root() / "bot" / GENERATED_DIR
