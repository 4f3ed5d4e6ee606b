"""Fixtures for the content tests: a small valid content tree copied into tmp_path, and a fixed date."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "good"
TODAY = date(2026, 11, 23)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture tree (3 topics, 2 offices)."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    return root


Edit = Callable[[Path, str, str], None]


@pytest.fixture
def edit() -> Edit:
    """Replace exactly one occurrence of ``old`` by ``new`` in a file (fails loudly if not found)."""

    def _edit(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return _edit


def line_of(path: Path, needle: str) -> int:
    """1-based line number of the first line containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
