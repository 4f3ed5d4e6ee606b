from __future__ import annotations

from pathlib import Path

from content.errors import Problem
from content.loader import Document, load_yaml, parse_yaml

TEXT = """\
id: x
questions:
  - erste
  - zweite
sources:
  - title: A
    url: https://a.example
answer: >-
  lang
  und mehr
"""


def test_lines_for_fields_items_and_nested_keys() -> None:
    doc = parse_yaml(TEXT, "t.yml")
    assert isinstance(doc, Document)
    assert doc.data["questions"] == ["erste", "zweite"]
    assert doc.line_of(("id",)) == 1
    assert doc.line_of(("questions",)) == 2
    assert doc.line_of(("questions", 1)) == 4
    assert doc.line_of(("sources", 0)) == 6
    assert doc.line_of(("sources", 0, "url")) == 7
    assert doc.line_of(("answer",)) == 8


def test_missing_path_falls_back_to_closest_parent() -> None:
    doc = parse_yaml(TEXT, "t.yml")
    assert isinstance(doc, Document)
    assert doc.line_of(("sources", 0, "nope")) == 6
    assert doc.line_of(("nope",)) == 1


def test_syntax_error_reports_its_line() -> None:
    problem = parse_yaml("id: x\nquestions:\n  - a\n  b: [1\n", "bad.yml")
    assert isinstance(problem, Problem)
    assert problem.code == "yaml"
    assert problem.line in {4, 5}
    assert problem.format().startswith(f"bad.yml:{problem.line}: ")


def test_duplicate_keys_are_recorded() -> None:
    doc = parse_yaml("id: a\ntitle: T\nid: b\n", "d.yml")
    assert isinstance(doc, Document)
    assert doc.duplicate_keys == ((("id",), 3),)


def test_non_utf8_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes("title: Bürger".encode("latin-1"))
    problem = load_yaml(path)
    assert isinstance(problem, Problem) and problem.code == "encoding"


def test_empty_file_gives_none() -> None:
    doc = parse_yaml("", "e.yml")
    assert isinstance(doc, Document) and doc.data is None
