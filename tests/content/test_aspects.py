"""Aspects in the content: the new topic fields, aspects.yml and the examples the compiler generates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from content.aspects import FOLLOW_UP, NO_ASPECT, aspect_examples
from content.checker import analyse, check_content
from content.compiler import render
from content.root import sample_root
from content.schema import ASPECTS, AspectsFile, Topic
from tests.content.conftest import FIXTURE, TODAY


def _topic() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FIXTURE / "topics" / "personalausweis.yml").read_text(encoding="utf-8"))
    return data


def _aspects() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((sample_root() / "aspects.yml").read_text(encoding="utf-8"))
    return data


def test_duration_deadline_online_are_optional_and_validated() -> None:
    assert Topic.model_validate(_topic()).online is None
    topic = Topic.model_validate({**_topic(), "duration": "Meist drei Wochen.",
                                  "online": {"text": "Termin online buchen.", "url": "https://x.example/termin"}})
    assert topic.duration == "Meist drei Wochen."
    assert topic.index_entry()["online"] == {"text": "Termin online buchen.", "url": "https://x.example/termin"}
    with pytest.raises(ValidationError, match="at most 300"):
        Topic.model_validate({**_topic(), "deadline": "Sehr lange. " * 40})
    with pytest.raises(ValidationError, match="must start with https"):
        Topic.model_validate({**_topic(), "online": {"text": "Online.", "url": "www.x.example"}})


def test_aspects_file_needs_every_aspect_and_only_the_placeholder() -> None:
    AspectsFile.model_validate(_aspects())
    data = _aspects()
    del data["aspects"]["deadline"]
    with pytest.raises(ValidationError, match="deadline have no phrasings"):
        AspectsFile.model_validate(data)
    data = _aspects()
    data["aspects"]["preis"] = data["aspects"]["fees"]
    with pytest.raises(ValidationError, match="unknown aspect"):
        AspectsFile.model_validate(data)
    data = _aspects()
    data["follow_up"][0] = "Und beim {topic}?"
    with pytest.raises(ValidationError, match="placeholder other than"):
        AspectsFile.model_validate(data)


def test_check_reports_a_broken_aspects_file_with_its_line(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    shutil.copy(sample_root() / "aspects.yml", root / "aspects.yml")
    assert not [p for p in check_content(root, today=TODAY) if p.severity == "error"]
    text = (root / "aspects.yml").read_text(encoding="utf-8").replace("  - Und beim {thema}?", "  - Und beim {ort}?")
    (root / "aspects.yml").write_text(text, encoding="utf-8")
    errors = [p for p in check_content(root, today=TODAY) if p.severity == "error"]
    assert len(errors) == 1 and errors[0].path.endswith("aspects.yml")
    assert errors[0].field == "follow_up[0]" and "{thema}" in errors[0].hint
    assert text.splitlines()[errors[0].line - 1].strip() == "- Und beim {ort}?"


def test_examples_cover_every_label_with_the_topics_filled_in() -> None:
    content, _ = analyse(sample_root(), embed=None)
    assert content is not None and content.aspects is not None
    examples = aspect_examples(content)
    labels = {label for _, label in examples}
    assert labels == {*ASPECTS, FOLLOW_UP, NO_ASPECT}
    assert ("Und was kostet das?", "fees") in examples
    assert not any("{thema}" in text for text, _ in examples)
    filled = [text for text, label in examples if label == FOLLOW_UP and text.startswith("Und beim ")]
    assert len(filled) >= 5 and len(set(filled)) == len(filled)
    assert examples == aspect_examples(content)  # deterministic


def test_content_index_carries_aspects_and_the_new_fields() -> None:
    content, _ = analyse(sample_root(), embed=None)
    assert content is not None
    files, _, _ = render(content)
    index = json.loads(files[Path("content_index.json")])
    assert index["aspects"]["labels"]["fees"] == "Kosten"
    assert len(index["aspects"]["examples"]) > 200
    passport = index["topics"]["reisepass"]
    assert "vier bis sechs Wochen" in passport["duration"]
    assert passport["online"]["url"].startswith("https://")
    assert index["topics"]["wohnsitz_anmelden"]["deadline"].startswith("Innerhalb von zwei Wochen")


def test_content_without_aspects_file_has_no_examples(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    content, _ = analyse(root)
    assert content is not None and content.aspects is None and aspect_examples(content) == []
