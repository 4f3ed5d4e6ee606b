"""Which topics a message names by their own words (bot/actions/topic_words.py), on the sample content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.actions.index import ContentIndex
from bot.actions.topic_words import TopicWords, stems
from content.checker import analyse
from content.compiler import render
from content.root import sample_root


@pytest.fixture(scope="module")
def words() -> TopicWords:
    content, _ = analyse(sample_root())
    assert content is not None
    files, _, _ = render(content)
    index = ContentIndex(json.loads(files[Path("content_index.json")]))
    return TopicWords.from_content(index.topics, index.offices)


def test_stems_fold_inflection_umlauts_and_drop_short_and_function_words() -> None:
    assert stems("Anmeldung") == stems("anmelden") == {"anmeld"}
    assert stems("Gebühren für Bürger") == {"gebuhr", "burger"}
    assert stems("Gewerbe abmelden oder ummelden") == {"gewerb", "abmeld", "ummeld"}
    assert stems("Was ist das?") == frozenset()


def test_a_word_shared_with_the_current_topic_refers_to_it(words: TopicWords) -> None:
    # "Hundesteuer und Hund anmelden" against "Wohnsitz anmelden": "Anmeldung" names both
    assert words.refers_to("Bis wann ist die Anmeldung fällig?", "hundesteuer", "wohnsitz_anmelden")
    assert words.refers_to("Welche Gebühr hat die Abmeldung?", "gewerbe_abmelden", "wohnsitz_abmelden")


def test_the_last_part_of_a_compound_names_the_current_topic(words: TopicWords) -> None:
    # "der Ausweis" while talking about the "Bewohnerparkausweis" is that one, not the Personalausweis
    assert words.refers_to("Und wie teuer ist der Ausweis?", "bewohnerparkausweis", "personalausweis")
    assert not words.refers_to("Und wie teuer ist der Ausweis?", "reisepass", "personalausweis")
    assert stems("Bewohnerparkausweis") == {"bewohn"}  # the stem alone would not see it


def test_a_word_only_the_other_topic_has_is_a_switch(words: TopicWords) -> None:
    assert not words.refers_to("Was kostet ein Reisepass?", "personalausweis", "reisepass")
    # names the current topic's word, but also one only the other topic has
    assert not words.refers_to("Frist für die Anmeldung des Wohnsitzes?", "hundesteuer", "wohnsitz_anmelden")
    # names neither: nothing to go on, the retrieval decides
    assert not words.refers_to("Wie lange dauert das?", "hundesteuer", "wohnsitz_anmelden")


def test_the_closest_option_shares_title_words_and_the_office(words: TopicWords) -> None:
    abmelden = ["wohnsitz_abmelden", "gewerbe_abmelden"]
    assert words.closest("wohnsitz_anmelden", abmelden) == "wohnsitz_abmelden"
    assert words.closest("gewerbe_anmelden", abmelden) == "gewerbe_abmelden"
    assert words.closest("wohnsitz_abmelden", ["wohnsitz_anmelden", "gewerbe_anmelden"]) == "wohnsitz_anmelden"


def test_no_closest_option_when_none_or_two_belong(words: TopicWords) -> None:
    assert words.closest("hundesteuer", ["briefwahl", "sperrmuell"]) is None
    assert words.closest("wohnsitz_anmelden", ["wohnsitz_anmelden"]) is None  # the current topic is no switch
    tie = TopicWords(names={"a": frozenset({"x"}), "b": frozenset({"x"}), "c": frozenset({"x"})},
                     office_names={}, offices={})
    assert tie.closest("a", ["b", "c"]) is None


def test_a_message_that_names_a_topic_only_by_words_many_topics_share_does_not_single_it_out(
        words: TopicWords) -> None:
    # "anmelden" names the address, a business, a dog, a wedding, an event, a car: none in particular
    named = words.weakly_named("Ab wann muss ich ihn spätestens anmelden?", "wohnsitz_anmelden")
    assert named is not None and {"wohnsitz_anmelden", "gewerbe_anmelden", "hundesteuer"} <= set(named)
    abmelden = words.weakly_named("Und beim Abmelden?", "wohnsitz_abmelden")
    assert abmelden is not None and set(abmelden) == {"wohnsitz_abmelden", "gewerbe_abmelden", "kfz_abmeldung"}
    assert words.closest("kfz_zulassung", abmelden) == "kfz_abmeldung"  # the same office, "Fahrzeug"
    # naming no word of the topic at all
    assert words.weakly_named("Welche Unterlagen werden verlangt?", "wohnsitz_anmelden") == ()


def test_a_distinctive_word_singles_the_topic_out(words: TopicWords) -> None:
    assert words.weakly_named("Frist für die Anmeldung des Wohnsitzes?", "wohnsitz_anmelden") is None
    assert words.weakly_named("Und beim Reisepass?", "reisepass") is None
