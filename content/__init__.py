"""Editor-maintained municipal content: schema, checker and compiler for the Rasa assistant.

Public API::

    load_content(root) -> Content          # raises ContentError listing every problem
    check_content(root) -> list[Problem]   # errors and warnings, sorted by file and line
    build(root, out_dir) -> BuildResult    # check, then write Rasa data, responses, content index
    vocabulary(root) -> list[str]          # local terms for ASR hotwords
    default_root() -> Path                 # $RATHAUS_CONTENT or content/musterstadt, checked
    resolve_content_root(environ) -> Path  # the same, for settings (content/root.py)
"""

from __future__ import annotations

from pathlib import Path

from content.checker import check_content, load_content
from content.compiler import BuildResult, build
from content.errors import ContentError, Problem
from content.model import Content
from content.root import CONTENT_ENV, ContentRootError, resolve_content_root
from content.schema import Municipality, Office, Topic
from content.vocabulary import vocabulary

__all__ = [
    "CONTENT_ENV",
    "BuildResult",
    "Content",
    "ContentError",
    "ContentRootError",
    "Municipality",
    "Office",
    "Problem",
    "Topic",
    "build",
    "check_content",
    "default_out_dir",
    "default_root",
    "load_content",
    "resolve_content_root",
    "vocabulary",
]


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_root() -> Path:
    """``$RATHAUS_CONTENT`` if set, else the sample municipality ``content/musterstadt`` (see content/root.py)."""
    return resolve_content_root()


def default_out_dir() -> Path:
    """The Rasa project folder ``bot/`` of this checkout."""
    return _repo_root() / "bot"
