"""Editor-maintained municipal content: schema, checker and compiler for the Rasa assistant.

Public API::

    load_content(root) -> Content          # raises ContentError listing every problem
    check_content(root) -> list[Problem]   # errors and warnings, sorted by file and line
    build(root, out_dir) -> BuildResult    # check, then write Rasa data, responses, content index
    vocabulary(root) -> list[str]          # local terms for ASR hotwords
    default_root() -> Path                 # $RATHAUS_CONTENT or content/musterstadt
"""

from __future__ import annotations

import os
from pathlib import Path

from content.checker import check_content, load_content
from content.compiler import BuildResult, build
from content.errors import ContentError, Problem
from content.model import Content
from content.schema import Municipality, Office, Topic
from content.vocabulary import vocabulary

__all__ = [
    "BuildResult",
    "Content",
    "ContentError",
    "Municipality",
    "Office",
    "Problem",
    "Topic",
    "build",
    "check_content",
    "default_out_dir",
    "default_root",
    "load_content",
    "vocabulary",
]


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_root() -> Path:
    """``$RATHAUS_CONTENT`` if set, else the sample municipality ``content/musterstadt``."""
    configured = os.environ.get("RATHAUS_CONTENT")
    return Path(configured) if configured else _repo_root() / "content" / "musterstadt"


def default_out_dir() -> Path:
    """The Rasa project folder ``bot/`` of this checkout."""
    return _repo_root() / "bot"
