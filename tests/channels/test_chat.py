from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from channels.chat import BreakerState, CircuitBreaker, CityInfo, map_rasa_messages, texts

FAQ = {
    "type": "faq_answer",
    "topic": "personalausweis",
    "title": "Personalausweis beantragen",
    "answer": "Den Ausweis beantragen Sie im Bürgerbüro.",
    "answer_easy": "Gehen Sie zum Bürgerbüro.",
    "sources": [{"title": "Bürgerbüro", "url": "https://www.musterstadt.example/ausweis"}],
    "office": {
        "id": "buergerbuero",
        "name": "Bürgerbüro",
        "phone": "0800 1",
        "address": {"street": "Rathausplatz 1", "postal_code": "12345", "city": "Musterstadt"},
        "hours": {"monday": [["08:00", "12:00"]]},
        "unknown_field": 1,
    },
    "fees": [{"label": "Ausweis", "amount_eur": 37.0}],
    "documents": ["Passfoto"],
    "last_reviewed": "2026-09-15",
    "confidence": 0.93,
}


def test_editors_summary_and_actions_travel_to_the_widget() -> None:
    action = {"label": "Termin buchen", "url": "https://www.musterstadt.example/termin"}
    custom = {**FAQ, "summary": "Den Ausweis gibt es im Bürgerbüro.", "actions": [action]}
    (reply,) = mapped([{"recipient_id": "s1", "custom": custom}]).replies
    assert reply.summary == "Den Ausweis gibt es im Bürgerbüro."
    assert [(a.label, a.url) for a in reply.actions] == [("Termin buchen", "https://www.musterstadt.example/termin")]


def mapped(raw: list[object]):  # type: ignore[no-untyped-def]
    counter = itertools.count()
    return map_rasa_messages(raw, session="s1", new_id=lambda: f"m{next(counter)}", now=10.0)


def test_text_and_following_custom_payload_become_one_answer() -> None:
    outcome = mapped(
        [
            {"recipient_id": "s1", "text": "Den Ausweis beantragen Sie im Bürgerbüro."},
            {"recipient_id": "s1", "custom": FAQ},
        ]
    )
    (reply,) = outcome.replies
    assert reply.kind == "answer" and reply.sender == "bot"
    assert reply.topic == "personalausweis" and reply.title == "Personalausweis beantragen"
    assert reply.answer_easy == "Gehen Sie zum Bürgerbüro."
    assert reply.sources[0].url == "https://www.musterstadt.example/ausweis"
    assert reply.office is not None and reply.office.address is not None
    assert reply.office.address.street == "Rathausplatz 1"
    assert reply.summary is None and reply.actions == ()  # the topic has none: the widget derives them
    assert reply.confidence == 0.93 and reply.last_reviewed == "2026-09-15"
    assert not outcome.handoff


def test_custom_without_text_uses_answer_text() -> None:
    (reply,) = mapped([{"custom": FAQ}]).replies
    assert reply.text == FAQ["answer"]


def test_clarify_options_become_buttons() -> None:
    raw = [
        {
            "text": "Meinten Sie ...?",
            "buttons": [{"title": "Reisepass", "payload": '/choose_topic{"topic":"reisepass"}'}],
        },
        {
            "custom": {
                "type": "clarify",
                "confidence": 0.4,
                "options": [{"topic": "reisepass", "title": "Reisepass", "confidence": 0.4, "payload": "x"}],
            }
        },
    ]
    (reply,) = mapped(raw).replies
    assert reply.kind == "clarify" and reply.confidence == 0.4
    assert [b.payload for b in reply.buttons] == ['/choose_topic{"topic":"reisepass"}']
    (only_custom,) = mapped(raw[1:]).replies
    assert only_custom.buttons[0].payload == "x" and only_custom.text


def test_kinds_and_handoff_flag() -> None:
    outcome = mapped(
        [
            {"text": "Ich bin ein KI-Assistent."},
            {"custom": {"type": "disclosure"}},
            {"text": "Das kann ich nicht beantworten."},
            {"custom": {"type": "out_of_scope", "confidence": 0.2}},
            {"text": "Ich verbinde Sie."},
            {"custom": {"type": "handoff"}},
            {"text": "Hallo!"},
            {"text": "Ich bin ein Computerprogramm."},
            {"custom": {"type": "bot_challenge"}},
            {"text": "x"},
            {"custom": {"type": "something_new"}},
        ]
    )
    assert [r.kind for r in outcome.replies] == [
        "disclosure",
        "out_of_scope",
        "handoff",
        "smalltalk",
        "bot_challenge",
        "info",
    ]
    assert outcome.handoff
    assert [r.id for r in outcome.replies] == [f"m{i}" for i in range(6)]


def test_malformed_entries_are_skipped() -> None:
    outcome = mapped(["nonsense", {"text": 5}, {"custom": {"type": "faq_answer", "sources": "bad"}}, {"text": "Hallo"}])
    assert [r.text for r in outcome.replies] == ["Hallo"]


@given(st.lists(st.one_of(st.none(), st.integers(), st.text(), st.dictionaries(st.text(), st.text()))))
def test_never_raises_on_garbage(raw: list[object]) -> None:
    mapped(raw)


def test_circuit_breaker_opens_and_half_opens() -> None:
    breaker = CircuitBreaker(failures=1, retry_after_s=5.0)
    assert breaker.allow(0.0)
    breaker.failure(0.0)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow(4.9)
    assert breaker.allow(5.0) and breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow(5.1)  # only one trial at a time
    breaker.failure(6.0)
    assert not breaker.allow(10.0) and breaker.allow(11.0)
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow(11.1)


def test_german_texts_name_phone_and_email() -> None:
    city = CityInfo(name="Musterstadt", phone="0800 123 456 0", email="buergerservice@musterstadt.example")
    assert "0800 123 456 0" in texts.unavailable(city) and "Musterstadt" in texts.unavailable(city)
    timeout = texts.status("handoff_timeout", city)
    assert "0800 123 456 0" in timeout and "buergerservice@musterstadt.example" in timeout


def test_breaker_needs_several_failures_in_a_row() -> None:
    breaker = CircuitBreaker(failures=3, retry_after_s=5.0)
    breaker.failure(0.0)
    breaker.failure(0.1)
    assert breaker.state is BreakerState.CLOSED and breaker.allow(0.2)
    breaker.success()  # an answer in between starts the count again
    breaker.failure(0.3)
    breaker.failure(0.4)
    assert breaker.allow(0.5)
    breaker.failure(0.5)
    assert breaker.state is BreakerState.OPEN and not breaker.allow(1.0)


def test_waiting_texts_say_when_the_question_comes() -> None:
    assert "als nächste dran" in texts.waiting(1)
    assert "noch eine andere" in texts.waiting(2)
    assert "noch 4 andere" in texts.waiting(5)
    city = CityInfo(name="Musterstadt", phone="0800 123 456 0")
    assert "0800 123 456 0" in texts.busy(city)


def test_language_note_travels_with_the_answer() -> None:
    from channels.chat import map_rasa_messages

    note = "Note: I answer in German only; official information is not machine-translated."
    raw = [
        {"recipient_id": "s", "text": note + "\nWenn Sie umziehen ..."},
        {"recipient_id": "s", "custom": {"type": "faq_answer", "topic": "wohnsitz_anmelden", "answer": "Wenn Sie ...",
                                         "language": "en", "language_note": note}},
    ]
    reply = map_rasa_messages(raw, session="s", new_id=lambda: "1", now=0.0).replies[0]
    assert (reply.language, reply.language_note, reply.text) == ("en", note, "Wenn Sie ...")


def test_an_aspect_answer_keeps_its_aspect_and_the_full_answer_button() -> None:
    button = {"title": "Alles zu Personalausweis beantragen", "payload": '/choose_topic{"topic":"personalausweis"}'}
    fee = "Kosten – Personalausweis beantragen:\n• Personalausweis ab 24 Jahren: 46,00 Euro"
    raw = [
        {"recipient_id": "s", "text": fee + "\nQuelle: ...", "buttons": [button]},
        {"recipient_id": "s", "custom": {**FAQ, "answer": fee, "answer_easy": None, "aspect": "fees"}},
    ]
    reply = mapped(raw).replies[0]
    assert (reply.kind, reply.aspect, reply.text, reply.answer_easy) == ("answer", "fees", fee, None)
    assert [(b.title, b.payload) for b in reply.buttons] == [(button["title"], button["payload"])]
    assert mapped([{"custom": FAQ}]).replies[0].aspect is None
