from __future__ import annotations

from pathlib import Path

import pytest

from content.errors import ContentError
from content.vocabulary import street_name, vocabulary
from tests.content.conftest import Edit


@pytest.mark.parametrize(
    ("street", "name"),
    [
        ("Rathausplatz 1", "Rathausplatz"),
        ("Am Hafen 7a", "Am Hafen"),
        ("Lindenallee 8-10", "Lindenallee"),
        ("Markt", "Markt"),
    ],
)
def test_street_name(street: str, name: str) -> None:
    assert street_name(street) == name


def test_vocabulary_is_deduplicated_in_stable_order(tree: Path) -> None:
    terms = vocabulary(tree)
    assert terms == ["Teststadt", "Ratssitzung", "Marktplatz", "Bürgerbüro", "Abfallwirtschaft", "Am Hafen"]
    assert vocabulary(tree) == terms


def test_vocabulary_ignores_broken_topics_but_not_broken_offices(tree: Path, edit: Edit) -> None:
    (tree / "topics" / "reisepass.yml").write_text("id: [", encoding="utf-8")
    assert "Bürgerbüro" in vocabulary(tree)
    edit(tree / "offices.yml", 'postal_code: "54321"', "postal_code: 54321")
    with pytest.raises(ContentError, match="offices.yml"):
        vocabulary(tree)
