from __future__ import annotations

import pytest

from content.similarity import Phrase, content_words, find_conflicts, normalise


def _pair(a: str, b: str) -> list[str]:
    return [
        c.rule
        for c in find_conflicts([Phrase("one", 0, a), Phrase("two", 0, b), *_background()])
        if {c.first.topic, c.second.topic} == {"one", "two"}
    ]


def _background() -> list[Phrase]:
    # A realistic corpus so that IDF weights frame words lower than topic words.
    texts = [
        "Wie beantrage ich einen Führerschein?",
        "Wie beantrage ich Wohngeld?",
        "Wo kann ich mein Gewerbe anmelden?",
        "Was kostet eine Geburtsurkunde?",
        "Wann kommt die Müllabfuhr?",
        "Wie lange dauert eine Baugenehmigung?",
        "Wo bekomme ich einen Parkausweis?",
        "Was kostet die Hundesteuer?",
        "Wie melde ich Sperrmüll an?",
        "Wann hat die Bibliothek offen?",
        "Wie kann ich einen Kita-Platz beantragen?",
        "Wer räumt den Schnee?",
    ]
    return [Phrase(f"bg{i}", 0, t) for i, t in enumerate(texts)]


def test_normalise_ignores_case_punctuation_whitespace_umlauts() -> None:
    assert (
        normalise("  Führerschein   VERLOREN?! ")
        == normalise("fuehrerschein verloren")
        == "fuehrerschein verloren"
    )


def test_content_words_drop_fillers_keep_particles() -> None:
    assert content_words("Wie melde ich mein Auto an?") == {"meld", "auto", "an"}
    assert content_words("Wo kann ich mich denn ummelden") == content_words("wo kann ich mich ummelden?")


def test_exact_duplicate_across_topics() -> None:
    assert _pair("Was kostet ein Pass?", "was kostet ein pass") == ["duplicate"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Wo kann ich mich ummelden", "Wo kann ich mich denn ummelden"),
        ("Wie beantrage ich einen Personalausweis", "Wie beantrage ich den Personalausweis"),
        ("Personalausweis beantragen wie", "Wie beantrage ich einen Personalausweis?"),
    ],
)
def test_near_identical_differing_in_stop_words_is_flagged(a: str, b: str) -> None:
    assert _pair(a, b) == ["same_words"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Personalausweis beantragen", "Reisepass beantragen"),
        ("Wie beantrage ich einen Personalausweis?", "Wie beantrage ich einen Reisepass?"),
        ("Wie melde ich mein Auto an?", "Wie melde ich mein Auto ab?"),
        ("Wohnung anmelden", "Wohnung abmelden"),
        ("Was kostet eine Geburtsurkunde?", "Was kostet eine Sterbeurkunde?"),
        ("Personalausweis", "Personalausweis beglaubigen"),
    ],
)
def test_legitimate_pairs_are_not_flagged(a: str, b: str) -> None:
    assert _pair(a, b) == []


def test_high_cosine_is_reported_as_similar() -> None:
    long = "Wie lange dauert die Bearbeitung von einem Bauantrag für ein Einfamilienhaus mit Garage"
    assert _pair(long, long + " ungefähr") == ["similar"]


def test_phrasings_of_the_same_topic_are_never_compared() -> None:
    phrases = [Phrase("one", 0, "Perso beantragen"), Phrase("one", 1, "perso beantragen!")]
    assert find_conflicts(phrases) == []
