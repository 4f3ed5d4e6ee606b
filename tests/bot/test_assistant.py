"""End to end with the real trained assistant: Rasa server + action server over the REST webhook.

The stack starts once per session (tests/fixtures/rasa.py); the model comes from the cache when the
training inputs are unchanged.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.runner import RasaStack

pytestmark = pytest.mark.slow

KINDS = {"faq_answer", "clarify", "disclosure", "out_of_scope", "handoff", "bot_challenge", "smalltalk"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def send(stack: RasaStack, message: str, sender: str | None = None) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender or f"test-{uuid.uuid4().hex}", "message": message}).encode()
    request = urllib.request.Request(stack.webhook_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        data = json.loads(response.read().decode("utf-8"))
    assert isinstance(data, list)
    return data


def customs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]


def reply_after_disclosure(messages: list[dict[str, Any]]) -> dict[str, Any]:
    payloads = customs(messages)
    assert payloads[0]["type"] == "disclosure", payloads
    assert len(payloads) == 2, payloads
    return payloads[1]


def test_disclosure_first_then_answer_with_sources(rasa_stack: RasaStack) -> None:
    messages = send(rasa_stack, "Wie beantrage ich einen neuen Personalausweis?")
    assert "KI-Assistent" in messages[0]["text"]
    assert "persönlichen Daten" in messages[0]["text"]
    assert messages[0]["buttons"][0]["title"] == "Mit einem Menschen sprechen"
    answer = reply_after_disclosure(messages)
    assert answer["type"] == "faq_answer"
    assert answer["topic"] == "personalausweis"
    assert answer["sources"] and all(s["url"].startswith("https://") for s in answer["sources"])
    assert answer["office"]["id"] == "buergerbuero"
    assert answer["office"]["address"]["street"]
    assert answer["last_reviewed"] and 0 < answer["confidence"] <= 1
    texts = [m["text"] for m in messages if m.get("text")]
    assert any("Quelle:" in t for t in texts[1:])


def test_disclosure_only_once_per_conversation(rasa_stack: RasaStack) -> None:
    sender = f"test-{uuid.uuid4().hex}"
    send(rasa_stack, "Hallo", sender)
    second = send(rasa_stack, "Was kostet ein Reisepass?", sender)
    payloads = customs(second)
    assert [p["type"] for p in payloads] == ["faq_answer"]
    assert payloads[0]["topic"] == "reisepass"


def test_bot_challenge_is_answered_with_the_ai_disclosure(rasa_stack: RasaStack) -> None:
    messages = send(rasa_stack, "Bist du ein Mensch?")
    assert reply_after_disclosure(messages)["type"] == "bot_challenge"
    assert "KI-Assistent" in messages[-2]["text"]


def test_human_handoff(rasa_stack: RasaStack) -> None:
    messages = send(rasa_stack, "Ich möchte bitte mit einem Mitarbeiter sprechen")
    assert reply_after_disclosure(messages)["type"] == "handoff"
    assert "0800 123 456 0" in messages[-2]["text"]
    # The disclosure's button payload works as well.
    assert reply_after_disclosure(send(rasa_stack, "/human_handoff"))["type"] == "handoff"


def test_opening_hours_today(rasa_stack: RasaStack) -> None:
    messages = send(rasa_stack, "Hat das Bürgerbüro heute auf?")
    answer = reply_after_disclosure(messages)
    assert answer["topic"] == "oeffnungszeiten"
    assert answer["office"]["id"] == "buergerbuero"
    status = answer["hours_status"]
    today = WEEKDAYS[datetime.now(ZoneInfo("Europe/Berlin")).weekday()]
    assert status["weekday"] == today
    assert status["state"] in {"open", "later", "over", "closed"}
    assert "Öffnungszeiten Bürgerbüro" in answer["answer"]


def test_opening_hours_of_a_named_office(rasa_stack: RasaStack) -> None:
    answer = reply_after_disclosure(send(rasa_stack, "Wann hat das Standesamt heute geöffnet?"))
    assert answer["topic"] == "oeffnungszeiten"
    assert answer["office"]["id"] == "standesamt"


def test_out_of_scope_is_declined_politely(rasa_stack: RasaStack) -> None:
    messages = send(rasa_stack, "Wer hat gestern das Fußballspiel gewonnen?")
    assert reply_after_disclosure(messages)["type"] == "out_of_scope"
    assert "Dienstleistungen der Stadtverwaltung" in messages[-2]["text"]


def test_choose_topic_button_answers_that_topic(rasa_stack: RasaStack) -> None:
    answer = reply_after_disclosure(send(rasa_stack, '/choose_topic{"topic":"hundesteuer"}'))
    assert (answer["type"], answer["topic"], answer["confidence"]) == ("faq_answer", "hundesteuer", 1.0)
    unknown = reply_after_disclosure(send(rasa_stack, '/choose_topic{"topic":"gibt_es_nicht"}'))
    assert unknown["type"] == "out_of_scope"


BAD_INPUTS = {
    "empty": "",
    "whitespace": " \t\n  ",
    "one_key_held": "a" * 80,
    "repeated_word": "lol " * 50,
    "keyboard_mash": "asdfghjkl qwrtzp",
    "mixed_languages": "Hello, wie geht es dir today, mon ami?",
    "slash_text": "/ich will einen Reisepass",
    "long": ("Personalausweis " * 700)[:10_000],
    "binary": "\x00\x01\x02\x7f\ufffd\x1b[31m\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "emoji": "😀🙈🎉👍",
    "html": "<script>alert('x')</script><b>hallo</b>",
    "english": "What is the weather like in London today?",
    "polish": "Dzień dobry, jak się masz?",
    "broken_payload": '/choose_topic{"topic":',
    "unknown_intent": "/gibt_es_nicht",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gets_a_sensible_reply(rasa_stack: RasaStack, name: str) -> None:
    messages = send(rasa_stack, BAD_INPUTS[name])
    payloads = customs(messages)
    assert payloads and payloads[0]["type"] == "disclosure"
    assert len(payloads) >= 2, f"{name}: no reply after the disclosure: {messages}"
    assert {p["type"] for p in payloads} <= KINDS
    assert all(m.get("text") for m in messages if "custom" not in m)
    if name == "html":  # the markup is ignored, the greeting inside it is answered
        assert payloads[1]["type"] in {"out_of_scope", "clarify", "smalltalk"}
    elif name in {"long", "slash_text"}:  # a text about a topic may be answered, with that topic only
        topic = {"long": "personalausweis", "slash_text": "reisepass"}[name]
        assert payloads[1]["type"] in {"out_of_scope", "clarify"} or payloads[1].get("topic") == topic
    else:
        assert payloads[1]["type"] in {"out_of_scope", "clarify"}
    if name in {"emoji", "one_key_held", "repeated_word", "keyboard_mash", "empty", "whitespace"}:
        # Nothing to answer: never a confident topic, and the citizen is asked to write in words.
        assert payloads[1]["type"] == "out_of_scope", payloads[1]


@pytest.mark.parametrize(("text", "topic"), [
    ("altes Sofa loswerden", "sperrmuell"),
    ("die gelben Säcke wurden nicht abgeholt", "abfallkalender"),
    ("Ich bin schwerhörig, kann ich die Ratssitzung mit Untertiteln verfolgen?", "untertitel"),
    ("Ich brauche eine neue ID-Karte", "personalausweis"),
])
def test_everyday_words_get_the_official_topic(rasa_stack: RasaStack, text: str, topic: str) -> None:
    answer = reply_after_disclosure(send(rasa_stack, text))
    assert (answer["type"], answer.get("topic")) == ("faq_answer", topic), answer


def test_ai_question_gets_the_disclosure_not_a_handoff(rasa_stack: RasaStack) -> None:
    assert reply_after_disclosure(send(rasa_stack, "Sind Sie ein Mensch?"))["type"] == "bot_challenge"


def test_weather_in_the_city_is_declined_not_clarified(rasa_stack: RasaStack) -> None:
    answer = reply_after_disclosure(send(rasa_stack, "Wie wird das Wetter morgen in Musterstadt?"))
    assert answer["type"] == "out_of_scope"


@pytest.mark.parametrize(("text", "topic", "language", "word"), [
    ("Where do I register my new address in the city?", "wohnsitz_anmelden", "en", "German"),
    ("Як продовжити дозвіл на проживання?", "aufenthaltstitel", "uk", "німецькою"),
])
def test_other_languages_get_the_german_topic_with_a_note(
    rasa_stack: RasaStack, text: str, topic: str, language: str, word: str
) -> None:
    messages = send(rasa_stack, text)
    answer = reply_after_disclosure(messages)
    assert (answer["type"], answer.get("topic"), answer["language"]) == ("faq_answer", topic, language)
    assert word in answer["language_note"]
    text_reply = [m["text"] for m in messages if m.get("text")][1]
    assert text_reply.startswith(answer["language_note"])  # one line in the asker's language, then German
    assert answer["answer"] and "Quelle:" in text_reply


def test_eval_command_writes_a_report(rasa_stack: RasaStack, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yml"
    cases.write_text(
        "cases:\n"
        "  - text: Was kostet ein Reisepass?\n    expect: faq/reisepass\n"
        "  - text: Wie wird das Wetter morgen?\n    expect: out_of_scope\n"
        "  - text: Bist du ein Roboter?\n    expect: bot_challenge\n"
        "  - text: Ich will mit einem Menschen sprechen\n    expect: human_handoff\n",
        encoding="utf-8",
    )
    report = tmp_path / "out" / "report.json"
    result = CliRunner().invoke(app, ["eval", str(cases), "--url", rasa_stack.rasa_url, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "in-scope" in result.output and "target" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert set(data) == {"summary", "cases"}
    assert len(data["cases"]) == 4
    for case in data["cases"]:
        assert set(case) == {"text", "expect", "got", "confidence", "top3", "lang", "tags"}
    assert data["cases"][0]["top3"][0] == "faq/reisepass"
    assert [c["got"] for c in data["cases"]] == ["faq/reisepass", "out_of_scope", "bot_challenge", "human_handoff"]
    summary = data["summary"]
    for key in ("in_scope_accuracy", "in_scope_top3", "clarify_rate", "rejected_rate", "out_of_scope_precision",
                "out_of_scope_recall", "per_class", "confused", "targets", "dialogue_accuracy", "per_language"):
        assert key in summary
    assert summary["in_scope_accuracy"] == 1.0


def test_eval_command_rejects_a_malformed_file(rasa_stack: RasaStack, tmp_path: Path) -> None:
    cases = tmp_path / "bad.yml"
    cases.write_text("cases:\n  - text: hallo\n    expect: vielleicht\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(cases), "--url", rasa_stack.rasa_url])
    assert result.exit_code == 1
    assert "cases.0.expect" in result.output


def test_eval_command_on_an_independent_part(rasa_stack: RasaStack, tmp_path: Path) -> None:
    """An independent part (the session-4 test part, now dev), as `rathaus bot eval` runs it. The floors sit
    well below the measured values (docs/benchmarks.md) and catch a broken retrieval, not a point of
    accuracy. The current test part stays out of CI, so that it is run only when it is reported."""
    test_part = Path(__file__).resolve().parents[2] / "data" / "eval" / "chat-independent" / "dev-4.yml"
    report = tmp_path / "test-report.json"
    result = CliRunner().invoke(app, ["eval", str(test_part), "--url", rasa_stack.rasa_url, "--report", str(report)])
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    assert summary["total"] >= 340
    assert summary["in_scope_accuracy"] >= 0.85 and summary["in_scope_top3"] >= 0.9
    assert summary["out_of_scope_not_answered"] >= 0.85 and summary["dialogue_accuracy"] >= 0.85
    assert summary["other_language_total"] >= 40 and summary["other_language_accuracy"] >= 0.7
