"""Local terms for speech recognition hotwords: municipality vocabulary, office and street names."""

from __future__ import annotations

import re
from pathlib import Path

from content.checker import display_path
from content.errors import ContentError, Problem
from content.loader import load_yaml
from content.schema import Municipality, OfficesFile
from content.validation import validate

__all__ = ["street_name", "vocabulary"]


def street_name(street: str) -> str:
    """``"Rathausplatz 1"`` -> ``"Rathausplatz"``; ``"Am Stadtpark 2a"`` -> ``"Am Stadtpark"``."""
    return re.sub(r"\s+\d+(\s*[-–/]\s*\d+)?\s*[a-zA-Z]?$", "", street.strip())


def vocabulary(root: Path) -> list[str]:
    """Deduplicated local terms in a stable order. Reads only municipality.yml and offices.yml.

    Raises :class:`ContentError` when either file is broken (topics do not matter here).
    """
    root = Path(root)
    problems: list[Problem] = []
    terms: list[str] = []
    muni_doc = load_yaml(root / "municipality.yml", display_path(root / "municipality.yml"))
    offices_doc = load_yaml(root / "offices.yml", display_path(root / "offices.yml"))
    municipality = offices = None
    for doc, model in ((muni_doc, Municipality), (offices_doc, OfficesFile)):
        if isinstance(doc, Problem):
            problems.append(doc)
            continue
        parsed, found = validate(doc, model)
        problems += found
        if isinstance(parsed, Municipality):
            municipality = parsed
        elif isinstance(parsed, OfficesFile):
            offices = parsed
    if municipality is None or offices is None:
        raise ContentError(problems, f"cannot read the vocabulary of {display_path(root)}")
    terms += [municipality.name, municipality.city, *municipality.vocabulary]
    terms += [office.name for office in offices.offices]
    terms += [street_name(office.address.street) for office in offices.offices]
    seen: set[str] = set()
    unique: list[str] = []
    for term in terms:
        key = term.casefold()
        if term and key not in seen:
            seen.add(key)
            unique.append(term)
    return unique
