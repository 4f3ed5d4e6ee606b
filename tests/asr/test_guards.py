"""Hallucination guards: gates, blocklist, loop cutter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr.decoder import DecodedSegment, DecodeResult, Word
from asr.guards import (
    apply_guards,
    cut_repetition_loop,
    find_repetition_loop,
    normalize_text,
    remove_blocklisted,
    segment_passes,
)
from asr.options import DEFAULT_BLOCKLIST, GuardOptions

OPTS = GuardOptions()


def ws(text: str) -> list[Word]:
    return [Word(t, float(i), i + 0.5) for i, t in enumerate(text.split())]


def text(words) -> str:  # type: ignore[no-untyped-def]
    return " ".join(w.text for w in words)


def test_normalisation_ignores_case_punctuation_and_apostrophes() -> None:
    assert normalize_text("Vielen Dank für's Zuschauen!") == normalize_text("vielen dank fürs zuschauen")
    assert normalize_text("  Untertitelung  des ZDF, 2020 ") == "untertitelung des zdf 2020"


@pytest.mark.parametrize(
    ("spoken", "kept"),
    [
        ("Untertitelung des ZDF, 2020", ""),
        ("Untertitel im Auftrag des ZDF für funk, 2017", ""),
        ("Vielen Dank fürs Zuschauen.", ""),
        ("VIELEN DANK FÜR'S ZUSCHAUEN!", ""),
        ("Untertitel von Stephanie Geiges", ""),
        ("Copyright WDR 2021", ""),
        ("Die Sitzung ist geschlossen. Untertitelung des ZDF, 2020", "Die Sitzung ist geschlossen."),
        ("Bis zum nächsten Mal", ""),
        ("Der Haushalt wird beschlossen.", "Der Haushalt wird beschlossen."),
        ("Vielen Dank für Ihre Frage.", "Vielen Dank für Ihre Frage."),
    ],
)
def test_blocklisted_phrases_are_removed(spoken: str, kept: str) -> None:
    assert text(remove_blocklisted(ws(spoken), DEFAULT_BLOCKLIST)) == kept


def test_no_speech_and_logprob_gate_follows_whispers_rule() -> None:
    seg = DecodedSegment(tuple(ws("Ja")), no_speech_prob=0.9, avg_logprob=-1.2)
    assert not segment_passes(seg, OPTS)
    confident = DecodedSegment(tuple(ws("Ja")), no_speech_prob=0.9, avg_logprob=-0.3)
    assert segment_passes(confident, OPTS)  # speech-like despite no_speech: Whisper keeps it too
    assert not segment_passes(DecodedSegment(tuple(ws("Ja")), avg_logprob=-2.0), OPTS)


def test_compression_ratio_gate() -> None:
    assert not segment_passes(DecodedSegment(tuple(ws("a a a")), compression_ratio=3.1), OPTS)
    assert segment_passes(DecodedSegment(tuple(ws("a b c")), compression_ratio=1.3), OPTS)


@pytest.mark.parametrize(
    ("spoken", "kept"),
    [
        ("und dann und dann und dann und dann", "und dann"),
        ("Wir danken Ihnen. Wir danken Ihnen. Wir danken Ihnen.", "Wir danken Ihnen."),
        ("ja ja ja ja ja ja", "ja"),
        ("nein, nein, nein", "nein, nein, nein"),  # three single words are real speech
        ("sehr sehr gut", "sehr sehr gut"),
        ("der Rat und der Bürgermeister und der Kämmerer", "der Rat und der Bürgermeister und der Kämmerer"),
    ],
)
def test_repetition_loops_are_cut(spoken: str, kept: str) -> None:
    assert text(cut_repetition_loop(ws(spoken), OPTS)) == kept


def test_apply_guards_combines_all() -> None:
    result = DecodeResult(
        (
            DecodedSegment(tuple(ws("Guten Abend.")), avg_logprob=-0.2),
            DecodedSegment(tuple(ws("Untertitelung des ZDF, 2020")), avg_logprob=-0.5),
            DecodedSegment(tuple(ws("ha ha ha ha ha")), compression_ratio=2.6),
        )
    )
    assert text(apply_guards(result, OPTS)) == "Guten Abend."


@given(st.lists(st.sampled_from(["der", "Rat", "tagt", "heute", "und", "morgen"]), max_size=30))
def test_loop_cutter_only_removes_and_leaves_no_loop(tokens: list[str]) -> None:
    words = ws(" ".join(tokens))
    out = cut_repetition_loop(words, OPTS)
    assert find_repetition_loop(out) is None
    it = iter(words)
    assert all(any(w is x for x in it) for w in out)  # a subsequence, order kept
