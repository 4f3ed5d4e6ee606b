"""The two fictitious sample municipalities: each error-free, marked fictitious, and sharing no city fact.

Musterstadt (content/musterstadt) and Beispielhausen (content/beispielhausen) differ in name, phone,
e-mail, offices and topics, so that tests of one installation serving both can tell them apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.actions.hours import find_office
from bot.actions.index import ContentIndex
from bot.actions.replies import disclosure_reply, handoff_reply
from content.checker import analyse
from content.compiler import INDEX_PATH, render

SAMPLES = Path(__file__).resolve().parents[2] / "content"
MUSTERSTADT, BEISPIELHAUSEN = SAMPLES / "musterstadt", SAMPLES / "beispielhausen"


def _index(root: Path) -> ContentIndex:
    loaded, problems = analyse(root)
    assert loaded is not None, [p.format() for p in problems if p.severity == "error"]
    files, _hash, _examples = render(loaded)
    return ContentIndex(json.loads(files[INDEX_PATH]))


@pytest.mark.parametrize("root", [MUSTERSTADT, BEISPIELHAUSEN], ids=lambda p: p.name)
def test_each_sample_is_error_free_and_marked_fictitious(root: Path) -> None:
    loaded, problems = analyse(root)
    assert [p.format() for p in problems if p.severity == "error"] == []
    assert loaded is not None and loaded.municipality.sample is True
    for name in ("municipality.yml", "offices.yml"):
        assert "FICTITIOUS SAMPLE DATA" in (root / name).read_text(encoding="utf-8").splitlines()[0]


def test_beispielhausen_holds_no_musterstadt_fact() -> None:
    muster = _index(MUSTERSTADT)
    other = _index(BEISPIELHAUSEN)
    contact = ("Beispielhausen", "0700 555 010 0", "rathaus@beispielhausen.example")
    assert (other.city, other.phone, other.email) == contact
    assert {muster.phone, muster.email}.isdisjoint({other.phone, other.email})
    assert set(other.offices).isdisjoint({"buergerbuero"}) and "faehrbetrieb" not in muster.offices
    assert "faehre" in other.topics and "faehre" not in muster.topics
    assert set(other.topics) < set(muster.topics) | {"faehre"}
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(BEISPIELHAUSEN.rglob("*.yml")))
    for fact in ("Musterstadt", "musterstadt", "0800 123", "Rathausplatz", "Bürgerbüro ", "buergerbuero:"):
        assert fact not in text, fact


def test_the_assistant_speaks_of_its_own_city() -> None:
    other = _index(BEISPIELHAUSEN)
    first = disclosure_reply(other).text
    assert "Beispielhausen" in first and "Rheinfähre" in first and "0700 555 010 0" in first
    assert "Musterstadt" not in first and "Hundesteuer" not in first
    assert "Beispielhausen" in handoff_reply(other).text
    hours = other.opening_hours
    assert hours is not None and (hours.topic, hours.default_office) == ("oeffnungszeiten", "buergeramt")
    assert find_office("Wann hat das Fundbüro auf?", other.offices, default=hours.default_office) == "ordnungsamt"
    assert find_office("Habt ihr heute offen?", other.offices, default=hours.default_office) == "buergeramt"
    # an office only this city has, found by an alias from its own offices.yml
    assert find_office("Wann fährt die Fähre?", other.offices, default=hours.default_office) == "faehrbetrieb"
