"""German normalisation for WER: case, punctuation, numbers, umlauts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr.core.textnorm import normalize, normalize_words, number_to_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Guten Abend, meine Damen und Herren!", "guten abend meine damen und herren"),
        ("Die Gebühr beträgt 37 Euro.", "die gebühr beträgt siebenunddreißig euro"),
        ("Die Sitzung beginnt um 18:30 Uhr.", "die sitzung beginnt um achtzehn uhr dreißig"),
        ("um 9.00 Uhr", "um neun uhr"),
        ("im Jahr 2026", "im jahr zweitausendsechsundzwanzig"),
        ("1.234 Menschen", "eintausendzweihundertvierunddreißig menschen"),
        ("2,5 %", "zwei komma fünf prozent"),
        ("12 €", "zwölf euro"),
        ("am 3. März", "am dritte märz"),
        ("form- und fristgerecht", "form und fristgerecht"),
        ("„Bürger­büro“ – Öffnungszeiten", "bürger büro öffnungszeiten"),
        ("STRASSE Straße", "strasse straße"),
        ("", ""),
        ("  ...  ", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_umlauts_survive_whatever_their_unicode_form() -> None:
    composed = "Bürgerbüro Öffnungszeiten für Ärzte"
    decomposed = "Bu\u0308rgerbu\u0308ro O\u0308ffnungszeiten fu\u0308r A\u0308rzte"
    assert normalize(decomposed) == normalize(composed) == "bürgerbüro öffnungszeiten für ärzte"
    assert normalize("Burger") != normalize("Bürger")


def test_digits_and_number_words_compare_equal() -> None:
    assert normalize("Wir haben 24 Anträge") == normalize("Wir haben vierundzwanzig Anträge.")
    assert number_to_words("0") == "null"
    assert number_to_words("3", ordinal=True) == "dritte"


@given(st.text(max_size=80))
def test_normalize_is_idempotent_and_clean(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip() and "  " not in once
    assert all(ch.isalnum() or ch == " " for ch in once)
    assert normalize_words(text) == (once.split(" ") if once else [])
