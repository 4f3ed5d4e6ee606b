"""Where rathaus keeps things: the checkout, and a cache for heavy artefacts outside it.

The cache holds what is expensive to rebuild and must not be committed: the Rasa engine's environment,
the assembled Whisper model, trained Rasa models. Every entry is keyed by a hash of its inputs, so a
second run reuses it and a fresh machine builds it again.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "repo_root"]


def repo_root() -> Path:
    """The checkout this code runs from (the folder holding pyproject.toml)."""
    return Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """``$RATHAUS_CACHE``, else ``$XDG_CACHE_HOME/rathaus``, else ``~/.cache/rathaus``; created on demand."""
    configured = os.environ.get("RATHAUS_CACHE")
    if configured:
        path = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "rathaus"
    path.mkdir(parents=True, exist_ok=True)
    return path
