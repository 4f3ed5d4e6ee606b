"""Leichte Sprache keeps the facts: the comparison core, and the checker rules with failing fixtures."""

from __future__ import annotations

from pathlib import Path

from content.checker import check_content
from content.facts import easy_only, facts, offices_named
from tests.content.conftest import TODAY, Edit, line_of


def _values(text: str) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in facts(text)}


def test_facts_are_normalised_across_spellings() -> None:
    assert _values("Er kostet 70,00 Euro.") == _values("Er kostet 70 Euro.") == {("money", "70.00")}
    assert _values("Geöffnet von 8 bis 12:30 Uhr") == {("time", "08:00"), ("time", "12:30")}
    assert ("time", "08:30") in _values("ab 8.30 Uhr")
    assert _values("nach vier bis sechs Wochen") == _values("nach 4 bis 6 Wochen") == {("duration", "4-6 week")}
    assert _values("spätestens am dritten Werktag") == _values("Sie haben 3 Werktage Zeit")
    assert ("phone", "080012345620") in _values("Telefon 0800 123 456 20")


def test_easy_only_lists_what_the_standard_text_does_not_say() -> None:
    standard = "Der Pass kostet 70,00 Euro. Die Herstellung dauert vier bis sechs Wochen."
    assert easy_only("Der Pass kostet 70 Euro. Er ist nach 4 bis 6 Wochen fertig.", standard) == []
    wrong = easy_only("Der Pass kostet 60 Euro. Er ist nach 2 Wochen fertig.", standard)
    assert [(f.kind, f.value) for f in wrong] == [("duration", "2 week"), ("money", "60.00")]


def test_offices_named_matches_whole_names() -> None:
    names = {"buergerbuero": "Bürgerbüro", "standesamt": "Standesamt"}
    assert offices_named("Gehen Sie zum Bürgerbüro.", names) == {"buergerbuero"}
    assert offices_named("Das Standesamtsregister", names) == set()


def test_easy_text_with_another_fee_fails_the_check(tree: Path, edit: Edit) -> None:
    path = tree / "topics" / "reisepass.yml"
    edit(path, "answer: >-\n", "answer_easy: Der Pass kostet 60 Euro.\nanswer: >-\n")
    problems = [p for p in check_content(tree, today=TODAY) if p.code == "easy-fact"]
    assert len(problems) == 1 and problems[0].severity == "error"
    assert problems[0].line == line_of(path, "answer_easy") and "60 Euro" in problems[0].message


def test_easy_text_naming_another_office_fails_the_check(tree: Path, edit: Edit) -> None:
    path = tree / "topics" / "reisepass.yml"
    edit(path, "answer: >-\n", "answer_easy: Den Pass bekommen Sie bei der Abfallwirtschaft.\nanswer: >-\n")
    problems = [p for p in check_content(tree, today=TODAY) if p.code == "easy-office"]
    assert len(problems) == 1 and "Abfallwirtschaft" in problems[0].message


def test_easy_text_with_the_same_facts_passes(tree: Path, edit: Edit) -> None:
    easy = "answer_easy: Ab 24 Jahren kostet der Pass 70 Euro.\nanswer: >-\n"
    edit(tree / "topics" / "reisepass.yml", "answer: >-\n", easy)
    assert check_content(tree, today=TODAY) == []


def test_sample_content_keeps_the_facts() -> None:
    root = Path(__file__).resolve().parents[2] / "content" / "musterstadt"
    found = [p for p in check_content(root) if p.code in {"easy-fact", "easy-office"}]
    assert found == []
    passport = (root / "topics" / "reisepass.yml").read_text(encoding="utf-8")
    assert "Express-Pass" in passport  # the easy text names the faster way, as the standard one does
