"""Aspect detection (bot/aspects/detector.py) on the examples the sample content generates, and the
short aspect answers (bot/actions/replies.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.actions.index import ContentIndex
from bot.actions.replies import aspect_reply, choose_topic_payload
from bot.aspects.detector import AspectDetector
from content.checker import analyse
from content.compiler import render
from content.root import sample_root


@pytest.fixture(scope="module")
def index() -> ContentIndex:
    content, _ = analyse(sample_root())
    assert content is not None
    files, _, _ = render(content)
    return ContentIndex(json.loads(files[Path("content_index.json")]))


@pytest.fixture(scope="module")
def detector(index: ContentIndex) -> AspectDetector:
    assert index.aspects is not None
    examples = [(str(t), str(label)) for t, label in index.aspects["examples"]]
    nlu = yaml.safe_load((Path(__file__).parents[2] / "bot" / "data" / "nlu.yml").read_text(encoding="utf-8"))
    for block in nlu["nlu"]:
        if "intent" in block:
            examples += [(line[2:].strip(), "no_aspect") for line in block["examples"].splitlines()
                         if line.strip().startswith("- ")]
    return AspectDetector.fit(examples)


# Written for this test, not copied from aspects.yml: colloquial and formal, with and without a topic.
CASES = [
    ("Und was kostet mich der Spaß?", "fees"),
    ("Wie hoch ist die Gebühr dafür?", "fees"),
    ("wie teuer wird das", "fees"),
    ("Welche Unterlagen muss ich einreichen?", "documents"),
    ("was muss ich mitnehmen", "documents"),
    ("Wo muss ich da eigentlich hin?", "office"),
    ("Hat das Amt am Samstag offen?", "hours"),
    ("Wie lange dauert die Bearbeitung?", "duration"),
    ("bis wann muss ich das erledigt haben", "deadline"),
    ("kann ich das auch im Internet beantragen", "online"),
    ("Und bei der Hundesteuer?", "follow_up"),
    ("Ich möchte meinen Wohnsitz ummelden", "no_aspect"),
    ("Wie wird das Wetter am Wochenende?", "no_aspect"),
    ("Ich will mit einem Menschen sprechen", "no_aspect"),
]


@pytest.mark.parametrize(("text", "label"), CASES)
def test_detects_the_aspect(detector: AspectDetector, text: str, label: str) -> None:
    guess = detector.detect(text)
    assert guess.label == label, guess
    assert guess.aspect == (label if label not in {"follow_up", "no_aspect"} else None)


NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Thursday


def test_fee_answer_is_the_fee_table_with_office_source_and_a_full_answer_button(index: ContentIndex) -> None:
    reply = aspect_reply(index, "personalausweis", "fees", 0.9, NOW)
    assert reply.text.startswith("Kosten – Personalausweis beantragen:\n• Personalausweis ab 24 Jahren: 46,00 Euro")
    assert "Zuständig: Bürgerbüro" in reply.text and "Quelle:" in reply.text
    assert "biometrische" not in reply.text  # not the whole page
    assert reply.custom["type"] == "faq_answer" and reply.custom["aspect"] == "fees"
    assert reply.custom["aspect_found"] is True and reply.custom["fees"][0]["amount_eur"] == 46.0
    assert reply.buttons == [{"title": "Alles zu Personalausweis beantragen",
                              "payload": choose_topic_payload("personalausweis")}]


def test_hours_are_computed_for_now_from_the_topics_office(index: ContentIndex) -> None:
    reply = aspect_reply(index, "reisepass", "hours", 0.9, NOW)
    assert "Bürgerbüro: jetzt geöffnet, noch bis 12:30 Uhr" in reply.text


def test_documents_duration_deadline_online_office(index: ContentIndex) -> None:
    documents = aspect_reply(index, "personalausweis", "documents", 1, NOW).text
    assert "• bisheriger Personalausweis oder Reisepass" in documents
    assert "vier bis sechs Wochen" in aspect_reply(index, "reisepass", "duration", 1, NOW).text
    assert "Innerhalb von zwei Wochen" in aspect_reply(index, "wohnsitz_anmelden", "deadline", 1, NOW).text
    assert "https://www.fuehrungszeugnis.bund.de" in aspect_reply(index, "fuehrungszeugnis", "online", 1, NOW).text
    office = aspect_reply(index, "hundesteuer", "office", 1, NOW).text
    assert office.startswith("Zuständige Stelle – Hundesteuer")


def test_an_aspect_without_data_says_so_with_the_offices_contact(index: ContentIndex) -> None:
    reply = aspect_reply(index, "reisepass", "deadline", 0.9, NOW)
    body = reply.text.splitlines()[1]
    assert body.startswith("Dazu habe ich keine Angabe;")
    assert "Telefon 0800 123 456 10" in body and "buergerbuero@musterstadt.example" in body
    assert reply.custom["aspect_found"] is False
    assert "Fingerabdrücke" not in reply.text
