"""The shipped Musterstadt sample content: complete and free of errors."""

from __future__ import annotations

import content
from content.checker import analyse

TOPIC_IDS = """
personalausweis reisepass wohnsitz_anmelden wohnsitz_abmelden meldebescheinigung fuehrungszeugnis briefwahl
geburtsurkunde eheschliessung sterbefall fuehrerschein kfz_zulassung kfz_abmeldung bewohnerparkausweis
schwerbehindertenparkausweis
hundesteuer gewerbe_anmelden gewerbe_abmelden grundsteuer abfallkalender sperrmuell
wertstoffhof baugenehmigung kita_platz wohngeld wohnberechtigungsschein fundbuero oeffnungszeiten termin laerm
maengelmelder winterdienst baumfaellung veranstaltung ratssitzung untertitel einbuergerung aufenthaltstitel
stadtkasse beglaubigung bibliothek
""".split()

OFFICE_IDS = """
buergerbuero standesamt strassenverkehrsamt ordnungsamt auslaenderbehoerde wahlamt steueramt gewerbeamt
bauamt jugendamt sozialamt abfallwirtschaft gruenflaechenamt tiefbauamt ratsbuero kulturamt stadtkasse
stadtbibliothek
""".split()


def test_real_content_is_complete_and_error_free() -> None:
    loaded, problems = analyse(content.default_root())
    errors = [p.format() for p in problems if p.severity == "error"]
    assert errors == []
    assert loaded is not None
    assert len(TOPIC_IDS) == 41
    assert set(TOPIC_IDS) <= set(loaded.topic_ids)
    assert sorted(o.id for o in loaded.offices) == sorted(OFFICE_IDS)
    assert sum(t.answer_easy is not None for t in loaded.topics) >= 10
    assert loaded.municipality.sample is True
    assert all(t.office in OFFICE_IDS for t in loaded.topics)


def test_real_vocabulary_has_local_terms() -> None:
    terms = content.vocabulary(content.default_root())
    assert {"Musterstadt", "Ratssitzung", "Bauausschuss", "Bürgerbüro", "Rathausplatz"} <= set(terms)
    assert len(terms) == len({t.casefold() for t in terms})
