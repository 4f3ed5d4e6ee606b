"""Terms, the no-content check and the language guess of the retrieval (pure, no model)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.retrieval.text import assess, detect_language, terms


def test_terms_fold_stem_and_drop_stop_words() -> None:
    assert sorted(terms("Wie beantrage ich einen Personalausweis?")) == sorted(terms("personalausweis beantragen"))
    assert "ich" not in terms("Ich möchte mich ummelden")
    assert terms("Anmeldung") == terms("anmelden")


def test_terms_keep_verb_particles_apart() -> None:
    assert terms("Auto anmelden") != terms("Auto abmelden")


@pytest.mark.parametrize("text", [
    "", "   ", "🙂🙂🙂", "😀 👍", "?!?!", "12345", "a" * 80, "lol " * 50, "hahahahahahaha",
    "asdfghjkl", "qwrtzp sdfghj", "x",
])
def test_messages_without_content_are_not_answerable(text: str) -> None:
    assert not assess(text).answerable, assess(text)


@pytest.mark.parametrize("text", [
    "Wie beantrage ich einen Personalausweis?", "Angstschweiß vor dem Amt", "Sperrmüll", "Perso weg",
    "Where do I register my address?", "Kimlik kartımı kaybettim", "Де зареєструвати місце проживання?",
    "أين يمكنني تسجيل عنواني؟", "Ja, ja, ich brauche einen Reisepass", "WBS", "Kfz-Zulassung",
    "a" * 3 + " Reisepass",
])
def test_real_questions_are_answerable(text: str) -> None:
    assert assess(text).answerable, assess(text)


@given(st.text(max_size=300))
def test_assess_never_fails(text: str) -> None:
    assert assess(text).quality in {"ok", "no_content", "repetitive", "mashed"}


@pytest.mark.parametrize(("text", "language"), [
    ("Wie beantrage ich einen Personalausweis?", "de"),
    ("Sperrmüll", "de"),
    ("Where do I register my new address?", "en"),
    ("How much is a passport for my child?", "en"),
    ("Nüfus kaydımı nerede yaptırabilirim?", "tr"),
    ("Çocuğum için kreş yeri nasıl bulabilirim?", "tr"),
    ("Де можна зареєструвати місце проживання?", "uk"),
    ("Где можно зарегистрировать место жительства?", "ru"),
    ("أين يمكنني تسجيل عنواني الجديد؟", "ar"),
    ("Gdzie mogę zameldować nowe mieszkanie?", "pl"),
    ("Jak dlugo trwa wydanie paszportu dla dziecka?", "pl"),  # typed without Polish letters
    ("Führerschein umtauschen, wie lange dauert das?", "de"),
    ("🙂", "de"),
])
def test_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["mensch bitte", "Herbst", "Strumpf kaputt", "Angstschweiß", "Hundesteuer"])
def test_consonant_heavy_german_words_are_not_mashing(text: str) -> None:
    assert assess(text).answerable
