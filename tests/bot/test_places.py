"""Questions about another place's facts (bot/actions/places.py)."""

from __future__ import annotations

from bot.actions.places import content_words, other_place

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
