"""Evaluation file validation, labels from REST replies, and the metrics (pure, fake data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import BotError
from bot.evaluation import CaseResult, label_from_messages, load_cases, summarise


def test_load_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.yml"
    path.write_text("cases:\n  - text: Was kostet ein Reisepass?\n    expect: faq/reisepass\n"
                    "  - text: Wie wird das Wetter?\n    expect: out_of_scope\n", encoding="utf-8")
    cases = load_cases(path)
    assert [c.expect for c in cases] == ["faq/reisepass", "out_of_scope"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("cases: [", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("cases: []\n", "cases"),
        ("cases:\n  - text: hallo\n", "cases.0.expect"),
        ("cases:\n  - text: hallo\n    expect: faq/Reise Pass\n", "must be faq/<topic id>"),
        ("cases:\n  - text: hallo\n    expect: greet\n    extra: 1\n", "cases.0.extra"),
    ],
)
def test_invalid_files_name_the_problem(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(BotError) as info:
        load_cases(path)
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BotError, match="cannot read"):
        load_cases(tmp_path / "nope.yml")


def test_labels_skip_the_disclosure() -> None:
    messages = [
        {"recipient_id": "s", "text": "Ich bin der KI-Assistent ..."},
        {"recipient_id": "s", "custom": {"type": "disclosure"}},
        {"recipient_id": "s", "text": "Einen Reisepass ..."},
        {"recipient_id": "s", "custom": {"type": "faq_answer", "topic": "reisepass", "confidence": 0.93}},
    ]
    assert label_from_messages(messages) == ("faq/reisepass", 0.93)


@pytest.mark.parametrize(
    ("custom", "label"),
    [
        ({"type": "clarify", "confidence": 0.4, "options": []}, "clarify"),
        ({"type": "out_of_scope", "confidence": 0.1}, "out_of_scope"),
        ({"type": "handoff"}, "human_handoff"),
        ({"type": "bot_challenge"}, "bot_challenge"),
        ({"type": "smalltalk", "intent": "thanks"}, "thanks"),
    ],
)
def test_labels(custom: dict, label: str) -> None:
    assert label_from_messages([{"custom": custom}])[0] == label


def test_no_payload_is_none() -> None:
    assert label_from_messages([{"text": "hi"}]) == ("none", None)


def _r(expect: str, got: str) -> CaseResult:
    return CaseResult(text="x", expect=expect, got=got, confidence=None)


def test_summary_metrics() -> None:
    results = [
        _r("faq/a", "faq/a"), _r("faq/a", "faq/a"), _r("faq/a", "faq/b"), _r("faq/b", "clarify"),
        _r("faq/b", "out_of_scope"), _r("out_of_scope", "out_of_scope"), _r("out_of_scope", "faq/a"),
        _r("out_of_scope", "clarify"), _r("bot_challenge", "bot_challenge"), _r("human_handoff", "out_of_scope"),
    ]
    s = summarise(results)
    assert s.total == 10
    assert s.in_scope_total == 5
    assert s.in_scope_accuracy == pytest.approx(2 / 5)
    assert s.clarify_rate == pytest.approx(1 / 5)
    assert s.rejected_rate == pytest.approx(1 / 5)
    assert s.out_of_scope_total == 3
    assert s.out_of_scope_not_answered == pytest.approx(2 / 3)
    # predicted out_of_scope: faq/b, out_of_scope, human_handoff -> 1 of 3 correct
    assert s.out_of_scope_precision == pytest.approx(1 / 3)
    assert s.out_of_scope_recall == pytest.approx(1 / 3)
    per_class = {c.label: (c.total, c.correct) for c in s.per_class}
    assert per_class["faq/a"] == (3, 2)
    assert per_class["faq/b"] == (2, 0)
    assert len(s.confused) == 6 and all(n == 1 for _, _, n in s.confused)
    targets = {name: met for name, _, _, _, met in s.targets()}
    assert targets == {"in_scope_accuracy": False, "out_of_scope_not_answered": False, "rejected_rate": False,
                       "dialogue_accuracy": False, "other_language_accuracy": False}
    assert s.dialogue_total == 2 and s.dialogue_accuracy == pytest.approx(1 / 2)
    report = s.to_dict()
    assert report["per_class"]["faq/a"]["accuracy"] == pytest.approx(2 / 3)
    assert report["targets"][0]["metric"] == "in_scope_accuracy"


def test_summary_groups_languages_tags_and_top3() -> None:
    results = [
        CaseResult("x", "faq/a", "faq/a", None, ("faq/a", "faq/b"), "de"),
        CaseResult("x", "faq/b", "clarify", None, ("faq/a", "faq/b"), "de"),
        CaseResult("x", "faq/a", "faq/a", None, ("faq/a",), "en"),
        CaseResult("x", "faq/b", "out_of_scope", None, ("faq/c",), "uk"),
        CaseResult("x", "out_of_scope", "faq/a", None, (), "de", ("municipal",)),
        CaseResult("x", "out_of_scope", "out_of_scope", None, (), "de", ("municipal",)),
        CaseResult("x", "out_of_scope", "out_of_scope", None, (), "de", ("general",)),
    ]
    s = summarise(results)
    assert s.in_scope_top3 == pytest.approx(3 / 4)
    assert (s.other_language_total, s.other_language_accuracy) == (2, pytest.approx(1 / 2))
    assert (s.municipal_oos_total, s.municipal_oos_not_answered) == (2, pytest.approx(1 / 2))
    assert {c.label: (c.total, c.correct) for c in s.per_language} == {"de": (2, 1), "en": (1, 1), "uk": (1, 0)}
    assert s.to_dict()["per_language"]["uk"] == {"total": 1, "correct": 0, "accuracy": 0.0}


def test_summary_of_nothing_does_not_divide_by_zero() -> None:
    s = summarise([])
    assert s.in_scope_accuracy == 0.0 and s.out_of_scope_precision == 0.0


def test_most_confused_pairs_are_sorted_by_count() -> None:
    s = summarise([_r("faq/a", "faq/b")] * 3 + [_r("faq/c", "clarify")])
    assert s.confused[0] == ("faq/a", "faq/b", 3)
