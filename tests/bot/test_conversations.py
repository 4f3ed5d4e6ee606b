"""Multi-turn evaluation: the file format, labels with aspects and the conversation metrics (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import BotError
from bot.conversations import ConversationResult, TurnResult, load_conversations, summarise_conversations
from bot.evaluation import label_from_messages, load_cases

REPO = Path(__file__).parents[2]


def test_the_shipped_sets_load_and_are_large_enough() -> None:
    dev = load_conversations(REPO / "data/eval/conversations/dev.yml")
    dev2 = load_conversations(REPO / "data/eval/conversations/dev-2.yml")  # the old test part, now dev
    assert len(dev) + len(dev2) >= 60
    texts = {turn.text for c in dev for turn in c.turns}
    assert not texts & {turn.text for c in dev2 for turn in c.turns}  # the parts do not overlap
    assert load_cases(REPO / "data/eval/conversations/dev.yml") == []


def test_bad_turns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("conversations:\n  - turns:\n      - {text: Hallo, expect: 'faq/reisepass#preis'}\n",
                    encoding="utf-8")
    with pytest.raises(BotError, match=r"conversations\.0\.turns\.0\.expect"):
        load_conversations(path)


def test_a_file_with_cases_only_has_no_conversations(tmp_path: Path) -> None:
    path = tmp_path / "cases.yml"
    path.write_text("cases:\n  - {text: Hallo, expect: greet}\n", encoding="utf-8")
    assert load_conversations(path) == [] and len(load_cases(path)) == 1


def test_labels_carry_the_aspect_only_for_conversations() -> None:
    messages = [{"custom": {"type": "faq_answer", "topic": "reisepass", "aspect": "fees", "confidence": 0.9}}]
    assert label_from_messages(messages) == ("faq/reisepass", 0.9)
    assert label_from_messages(messages, with_aspect=True) == ("faq/reisepass#fees", 0.9)
    whole = [{"custom": {"type": "faq_answer", "topic": "reisepass", "aspect": None, "confidence": 0.9}}]
    assert label_from_messages(whole, with_aspect=True) == ("faq/reisepass", 0.9)


def _turn(expect: str, got: str, seconds: float = 0.1) -> TurnResult:
    return TurnResult(text="...", expect=expect, got=got, confidence=None, seconds=seconds)


def test_summary_separates_first_turns_follow_ups_and_interruptions() -> None:
    results = [
        ConversationResult((_turn("faq/personalausweis", "faq/personalausweis", 0.2),
                            _turn("faq/personalausweis#fees", "faq/personalausweis#fees", 0.3),
                            _turn("faq/reisepass#fees", "faq/reisepass"))),
        ConversationResult((_turn("faq/wohngeld", "faq/wohngeld#fees", 0.2),
                            _turn("out_of_scope", "out_of_scope"),
                            _turn("faq/wohngeld#documents", "faq/wohngeld#documents", 0.5))),
        ConversationResult((_turn("faq/sperrmuell", "clarify", 0.2),
                            _turn("human_handoff", "human_handoff"),
                            _turn("faq/sperrmuell#fees", "out_of_scope"))),
    ]
    summary = summarise_conversations(results)
    assert summary.first_turn_total == 3
    assert summary.first_turn_accuracy == pytest.approx(1 / 3)
    assert summary.first_turn_topic_accuracy == pytest.approx(2 / 3)  # the aspect does not count here
    assert summary.follow_up_total == 4 and summary.follow_up_accuracy == pytest.approx(2 / 4)
    assert summary.after_interruption_total == 2 and summary.after_interruption_accuracy == pytest.approx(1 / 2)
    assert summary.p50_first_s == pytest.approx(0.2)
    assert summary.p50_follow_up_s == pytest.approx(0.1)  # later turns: 0.3, 0.1, 0.1, 0.5, 0.1, 0.1
    # 95th percentile between ranks: 0.3 + (0.5 - 0.3) * 0.75; first turns 0.2, 0.2, 0.2 (see _turn)
    assert summary.p95_follow_up_s == pytest.approx(0.45)
    assert summary.p95_first_s == pytest.approx(0.2)
