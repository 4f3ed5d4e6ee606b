"""Questions about another place's facts (bot/actions/places.py)."""

from __future__ import annotations

from bot.actions.places import city_elsewhere, content_words, other_place

TOPICS = {
    "stadt_buergermeister": {"title": "Oberbürgermeisterin von Musterstadt", "keywords": ["Bürgermeister"],
                             "questions": ["Wer ist Bürgermeister von Musterstadt?"], "answer": "Dr. Anna Beispiel"},
    "stadt_rathaus": {"title": "Rathaus und Stadtverwaltung", "questions": ["Wo ist das Rathaus in der Innenstadt?"]},
}
KNOWN = content_words(TOPICS, ["Musterstadt"])


def test_another_city_after_a_preposition_or_as_the_last_word_is_a_place_elsewhere() -> None:
    assert other_place("Wie heißt der Bürgermeister von Paris?", KNOWN) == "Paris"
    assert other_place("Wer ist Bürgermeister in Köln?", KNOWN) == "Köln"
    assert other_place("Wie viele Einwohner hat Hamburg?", KNOWN) == "Hamburg"
    assert other_place("Wo ist das Rathaus in Castrop-Rauxel?", KNOWN) == "Castrop-Rauxel"


def test_our_city_and_the_contents_own_words_are_not_places_elsewhere() -> None:
    assert other_place("Wer ist Bürgermeister von Musterstadt?", KNOWN) is None
    assert other_place("Wer ist der Bürgermeister?", KNOWN) is None
    assert other_place("Wie viele Einwohner hat die Stadt?", KNOWN) is None
    assert other_place("Wo ist das Rathaus in der Innenstadt?", KNOWN) is None
    assert other_place("Adresse vom Rathaus bei euch", KNOWN) is None


def test_a_service_asked_for_another_city_is_elsewhere_in_any_spelling() -> None:
    own = ["Musterstadt"]
    assert city_elsewhere("Wann wird in München der Sperrmüll abgeholt?", own) == "München"
    assert city_elsewhere("sperrmuell muenchen", own) == "München"
    assert city_elsewhere("Öffnungszeiten Bürgeramt Berlin Mitte", own) == "Berlin"
    assert city_elsewhere("Standesamt Leipzig freie Trautermine", own) == "Leipzig"
    assert city_elsewhere("Wo ist das Fundbüro?", own) is None
    assert city_elsewhere("Wie oft muss ich Blumen gießen?", own) is None  # a verb, not the city
    assert city_elsewhere("Frankfurter Kranz backen", own) is None  # whole words only


def test_another_city_tied_to_ours_is_not_elsewhere() -> None:
    own = ["Musterstadt"]
    assert city_elsewhere("Ich bin in Musterstadt geboren, wohne aber in Berlin", own) is None
    assert city_elsewhere("Bin von Köln hierher gezogen, muss ich den Hund anmelden?", own) is None
    assert city_elsewhere("Auto aus Hamburg ummelden", own) is None
    assert city_elsewhere("Ich bin hier geboren und wohne jetzt in Bremen", own) is None
    # a city the content itself names is part of its answers
    assert city_elsewhere("Führungszeugnis vom Bundesamt in Bonn", own, frozenset({"bonn"})) is None
