"""City facts (``facts:`` in municipality.yml) become topics: per city, checked like topic files."""

from __future__ import annotations

import json
from pathlib import Path

from bot.actions.index import ContentIndex
from bot.actions.replies import answer_reply
from content.checker import analyse, check_content
from content.city_facts import FACT_TOPIC_IDS
from content.compiler import INDEX_PATH, NLU_PATH, render, retrieval_rows
from tests.content.conftest import TODAY, Edit, line_of

SAMPLES = Path(__file__).resolve().parents[2] / "content"

FACTS = """facts:
  office: buergerbuero
  source:
    title: Über Teststadt
    url: https://www.teststadt.example/stadt
  last_reviewed: 2026-05-01
  owner: Hauptamt
  mayor:
    name: Erika Probe
    title: Bürgermeisterin
    since: 2020
  inhabitants:
    count: 12345
    as_of: 2025-12-31
  town_hall:
    address:
      street: Marktplatz 1
      postal_code: "54321"
      city: Teststadt
vocabulary:
"""


def _index(root: Path) -> ContentIndex:
    content, problems = analyse(root)
    assert content is not None, [p.format() for p in problems if p.severity == "error"]
    files, _hash, _examples = render(content)
    return ContentIndex(json.loads(files[INDEX_PATH]))


def test_each_fact_becomes_a_topic_answered_from_the_citys_own_facts(tree: Path, edit: Edit) -> None:
    edit(tree / "municipality.yml", "vocabulary:\n", FACTS)
    assert check_content(tree, today=TODAY) == []
    index = _index(tree)
    assert set(FACT_TOPIC_IDS) <= set(index.topics)
    # a sentence or two: answered whole, never as one aspect ("Telefonnummer" is not the office's phone)
    assert all(index.topic(t)["whole"] is True for t in FACT_TOPIC_IDS)
    assert "whole" not in index.topic("reisepass")
    mayor = answer_reply(index, "stadt_buergermeister", 0.9)
    assert mayor.custom["answer"].startswith("Bürgermeisterin von Teststadt ist Erika Probe, seit 2020 im Amt.")
    assert mayor.custom["sources"] == [{"title": "Über Teststadt", "url": "https://www.teststadt.example/stadt"}]
    assert mayor.custom["last_reviewed"] == "2026-05-01" and "Stand: 01.05.2026" in mayor.text
    people = answer_reply(index, "stadt_einwohner", 0.9).custom["answer"]
    assert people == "Teststadt hat 12.345 Einwohnerinnen und Einwohner (Stand: 31.12.2025)."
    hall = answer_reply(index, "stadt_rathaus", 0.9).custom["answer"]
    for fact in ("Marktplatz 1, 54321 Teststadt", "0800 000 000 0", "info@teststadt.example",
                 "https://www.teststadt.example"):
        assert fact in hall
    # found by the retrieval (its phrasings with the city's name are retrieval rows), not trained: the model
    # stays the one trained on the editors' topics
    content, _ = analyse(tree)
    assert content is not None
    assert ("stadt_buergermeister", "question", "Wer ist Bürgermeisterin von Teststadt?") in retrieval_rows(content)
    files, _hash, _examples = render(content)
    nlu = files[NLU_PATH].decode()
    assert "faq/reisepass" in nlu and "stadt_" not in nlu


def test_without_facts_there_are_no_fact_topics(tree: Path) -> None:
    assert set(FACT_TOPIC_IDS).isdisjoint(_index(tree).topics)


def test_a_fact_group_can_be_left_out(tree: Path, edit: Edit) -> None:
    edit(tree / "municipality.yml", "vocabulary:\n", FACTS.split("  inhabitants:")[0] + "vocabulary:\n")
    topics = set(_index(tree).topics)
    assert "stadt_buergermeister" in topics and {"stadt_einwohner", "stadt_rathaus"}.isdisjoint(topics)


def test_fact_problems_point_at_municipality_yml(tree: Path, edit: Edit) -> None:
    path = tree / "municipality.yml"
    edit(path, "vocabulary:\n", FACTS.replace("office: buergerbuero", "office: hauptamt"))
    (problem,) = [p for p in check_content(tree, today=TODAY) if p.severity == "error"]
    assert (problem.code, problem.field, problem.line) == ("unknown-office", "facts.office", line_of(path, "office:"))

    edit(path, "office: hauptamt", "office: buergerbuero")
    edit(path, "    since: 2020\n", "    since: 1800\n")
    (problem,) = [p for p in check_content(tree, today=TODAY) if p.severity == "error"]
    assert problem.field == "facts.mayor.since" and problem.line == line_of(path, "since:")


def test_a_topic_file_with_a_fact_topics_id_is_refused(tree: Path, edit: Edit) -> None:
    edit(tree / "municipality.yml", "vocabulary:\n", FACTS)
    passport = (tree / "topics" / "reisepass.yml").read_text(encoding="utf-8")
    clash = passport.replace("id: reisepass", "id: stadt_rathaus")
    (tree / "topics" / "stadt_rathaus.yml").write_text(clash, encoding="utf-8")
    (problem,) = [p for p in check_content(tree, today=TODAY) if p.code == "duplicate-id"]
    assert problem.field == "facts.town_hall" and "stadt_rathaus.yml" in problem.message


def test_both_sample_cities_answer_their_own_facts() -> None:
    muster, other = _index(SAMPLES / "musterstadt"), _index(SAMPLES / "beispielhausen")
    assert "Dr. Anna Beispiel" in answer_reply(muster, "stadt_buergermeister", 1).custom["answer"]
    mayor = answer_reply(other, "stadt_buergermeister", 1).custom["answer"]
    assert "Jonas Probst" in mayor and "Musterstadt" not in mayor and "0700 555 010 0" in mayor
    hall = answer_reply(other, "stadt_rathaus", 1).custom["answer"]
    assert "Marktplatz 1, 54321 Beispielhausen" in hall and "Rathausplatz" not in hall
    assert "Beispielhausen hat 9.480 Einwohnerinnen" in answer_reply(other, "stadt_einwohner", 1).custom["answer"]
