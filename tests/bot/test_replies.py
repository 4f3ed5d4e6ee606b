"""German reply texts and structured custom payloads (pure, with a small fake content index)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.actions.decide import Candidate
from bot.actions.index import ContentIndex, load_index
from bot.actions.replies import (
    answer_reply,
    aspect_reply,
    bot_challenge_reply,
    choose_topic_payload,
    clarify_reply,
    disclosure_reply,
    elsewhere_reply,
    handoff_reply,
    opening_hours_reply,
    out_of_scope_reply,
    smalltalk_reply,
)

INDEX_DATA = {
    "version": 1,
    "content_hash": "abc",
    "municipality": {"name": "Musterstadt", "phone": "0800 123 456 0", "email": "buergerservice@musterstadt.example",
                     "timezone": "Europe/Berlin",
                     "handoff": {"text": "Ich verbinde Sie.", "phone": "0800 123 456 0",
                                 "email": "buergerservice@musterstadt.example"},
                     "assistant": {"examples": ["Personalausweis und Reisepass", "Hundesteuer"],
                                   "opening_hours": {"topic": "oeffnungszeiten", "default_office": "buergerbuero"}}},
    "offices": {
        "buergerbuero": {
            "id": "buergerbuero", "name": "Bürgerbüro",
            "address": {"street": "Rathausplatz 1", "postal_code": "12345", "city": "Musterstadt"},
            "phone": "0800 123 456 10", "email": "bb@musterstadt.example",
            "hours": {"monday": [["08:00", "12:30"]], "tuesday": [], "wednesday": [],
                      "thursday": [["08:00", "12:30"], ["14:00", "18:00"]], "friday": [], "saturday": [],
                      "sunday": []},
            "notes": "Für Pässe bitte einen Termin buchen.", "appointment_url": "https://www.musterstadt.example/termin",
        },
        "standesamt": {
            "id": "standesamt", "name": "Standesamt",
            "address": {"street": "Rathausplatz 1", "postal_code": "12345", "city": "Musterstadt"},
            "phone": "0800 123 456 20", "email": "sa@musterstadt.example",
            "hours": {"monday": [["08:30", "12:00"]], "tuesday": [["08:30", "12:00"], ["14:00", "16:00"]],
                      "wednesday": [], "thursday": [], "friday": [], "saturday": [], "sunday": []},
        },
    },
    "topics": {
        "reisepass": {
            "id": "reisepass", "title": "Reisepass beantragen", "answer": "Einen Reisepass beantragen Sie ...",
            "answer_easy": None, "office": "buergerbuero", "fees": [{"label": "ab 24", "amount_eur": 70.0}],
            "summary": "Den Pass gibt es im Bürgerbüro.",
            "actions": [{"label": "Termin buchen", "url": "https://www.musterstadt.example/termin"}],
            "documents": ["Passfoto"], "last_reviewed": "2026-09-15", "owner": "Redaktion",
            "sources": [{"title": "Reisepass", "url": "https://www.musterstadt.example/reisepass"}],
        },
        "personalausweis": {"id": "personalausweis", "title": "Personalausweis beantragen", "answer": "...",
                            "sources": [], "office": "buergerbuero", "last_reviewed": "2026-09-15"},
        "oeffnungszeiten": {"id": "oeffnungszeiten", "title": "Öffnungszeiten", "answer": "...",
                            "sources": [{"title": "Öffnungszeiten", "url": "https://www.musterstadt.example/zeiten"}],
                            "office": "buergerbuero", "last_reviewed": "2026-09-15"},
    },
}


@pytest.fixture
def index() -> ContentIndex:
    return ContentIndex(INDEX_DATA)


def test_answer_has_text_with_source_and_full_payload(index: ContentIndex) -> None:
    reply = answer_reply(index, "reisepass", 0.91)
    assert reply.text.startswith("Einen Reisepass beantragen Sie")
    assert "Quelle: Reisepass (https://www.musterstadt.example/reisepass)" in reply.text
    assert "Stand: 15.09.2026" in reply.text
    custom = reply.custom
    assert custom["type"] == "faq_answer" and custom["topic"] == "reisepass"
    assert custom["office"]["address"]["street"] == "Rathausplatz 1"
    assert custom["fees"] == [{"label": "ab 24", "amount_eur": 70.0}]
    assert custom["documents"] == ["Passfoto"]
    assert custom["last_reviewed"] == "2026-09-15" and custom["confidence"] == 0.91
    assert set(custom) >= {"title", "answer", "answer_easy", "sources"}
    assert custom["summary"] == "Den Pass gibt es im Bürgerbüro."
    assert custom["actions"] == [{"label": "Termin buchen", "url": "https://www.musterstadt.example/termin"}]
    json.dumps(custom)


def test_editors_summary_is_of_the_whole_answer_only_and_actions_stay(index: ContentIndex) -> None:
    fees = aspect_reply(index, "reisepass", "fees", 0.8, datetime(2026, 10, 5, 10, 0))
    assert fees.custom["aspect"] == "fees" and fees.custom["summary"] is None  # the derived one, of this text
    assert fees.custom["actions"][0]["label"] == "Termin buchen"
    plain = answer_reply(index, "personalausweis", 0.8)  # a topic without them
    assert plain.custom["summary"] is None and plain.custom["actions"] == []


def test_clarify_offers_buttons_with_choose_topic_payloads(index: ContentIndex) -> None:
    reply = clarify_reply(index, [Candidate("reisepass", 0.5), Candidate("personalausweis", 0.3)], 0.5)
    assert "Meinten Sie" in reply.text and "Reisepass beantragen" in reply.text
    assert reply.buttons[0] == {"title": "Reisepass beantragen", "payload": '/choose_topic{"topic":"reisepass"}'}
    assert reply.custom["type"] == "clarify"
    assert [o["topic"] for o in reply.custom["options"]] == ["reisepass", "personalausweis"]
    assert reply.custom["options"][1]["payload"] == choose_topic_payload("personalausweis")


def test_a_question_about_another_city_is_not_answered_and_offers_ours(index: ContentIndex) -> None:
    reply = elsewhere_reply(index, "München", "sperrmuell", 0.99)
    assert reply.custom["type"] == "out_of_scope" and reply.custom["reason"] == "elsewhere"
    assert "München" in reply.text and index.city in reply.text
    assert reply.buttons[0]["payload"] == choose_topic_payload("sperrmuell")
    assert reply.buttons[-1]["payload"] == "/human_handoff"
    plain = elsewhere_reply(index, "Köln", None, 0.3)
    assert "Meinten Sie" not in plain.text and len(plain.buttons) == 1


def test_disclosure_says_ai_capabilities_privacy_and_person(index: ContentIndex) -> None:
    reply = disclosure_reply(index)
    for needle in ("KI-Assistent", "Musterstadt", "kein Mensch", "Quelle", "persönlichen Daten", "0800 123 456 0"):
        assert needle in reply.text
    assert reply.buttons == [{"title": "Mit einem Menschen sprechen", "payload": "/human_handoff"}]
    assert reply.custom["type"] == "disclosure"


def test_other_replies_have_their_types(index: ContentIndex) -> None:
    assert bot_challenge_reply(index).custom == {"type": "bot_challenge"}
    assert "KI-Assistent" in bot_challenge_reply(index).text
    assert "nur, wenn Sie um ein Gespräch mit einer Person bitten" in bot_challenge_reply(index).text
    handoff = handoff_reply(index)
    assert handoff.custom["type"] == "handoff" and "0800 123 456 0" in handoff.text
    oos = out_of_scope_reply(index, 0.12)
    assert oos.custom == {"type": "out_of_scope", "confidence": 0.12}
    assert "Personalausweis" in oos.text
    assert smalltalk_reply("thanks").custom == {"type": "smalltalk", "intent": "thanks"}
    assert smalltalk_reply("weird").custom["intent"] == "greet"


def test_opening_hours_for_today(index: ContentIndex) -> None:
    thursday_lunch = datetime(2026, 11, 26, 13, 0)
    reply = opening_hours_reply(index, "buergerbuero", thursday_lunch, 0, 0.9)
    assert reply.custom["topic"] == "oeffnungszeiten"
    assert reply.custom["hours_status"]["state"] == "later"
    assert "heute ab 14:00 Uhr" in reply.text
    assert "Mittwoch: geschlossen" in reply.text
    assert reply.custom["office"]["id"] == "buergerbuero"
    # a list by day, each day once, and no booking address as plain text (the widget shows a button)
    assert "\nMontag: 08:00 bis 12:30 Uhr\n" in reply.custom["answer"]
    assert reply.custom["answer"].count("Mittwoch") == 1
    assert "https://" not in reply.custom["answer"]


def test_opening_hours_easy_text_is_the_asked_offices_week(index: ContentIndex) -> None:
    """The topic's easy text gives the Bürgerbüro's hours; asked for the Standesamt it must not."""
    reply = opening_hours_reply(index, "standesamt", datetime(2026, 11, 26, 13, 0), 0, 0.9)
    easy = reply.custom["answer_easy"]
    assert easy.startswith("So ist Standesamt offen:")
    assert "Dienstag: 08:30 bis 12:00 Uhr und 14:00 bis 16:00 Uhr" in easy
    assert "Bürgerbüro" not in easy


def test_load_index_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="rathaus content build"):
        load_index(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(RuntimeError, match="not valid JSON"):
        load_index(broken)
    good = tmp_path / "index.json"
    good.write_text(json.dumps(INDEX_DATA), encoding="utf-8")
    assert load_index(good).phone == "0800 123 456 0"


def test_what_the_assistant_names_comes_from_the_content(index: ContentIndex) -> None:
    assert "zum Beispiel zu Personalausweis und Reisepass oder Hundesteuer." in disclosure_reply(index).text
    fahre = {"name": "Beispielhausen", "assistant": {"examples": ["Fähre"]}}
    other = ContentIndex({**INDEX_DATA, "municipality": fahre})
    text = disclosure_reply(other).text
    assert "Beispielhausen, zum Beispiel zu Fähre." in text and "Personalausweis" not in text
    bare = ContentIndex({**INDEX_DATA, "municipality": {"name": "Beispielhausen"}})
    assert "Stadtverwaltung Beispielhausen. " in disclosure_reply(bare).text and bare.opening_hours is None
