"""Hallucination guards: a drop only where it is shown not to be speech, every drop with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr.core.decoder import DecodedSegment, DecodeResult, Word
from asr.core.guards import (
    DropReason,
    apply_guards,
    cut_repetition_loop,
    find_repetition_loop,
    normalize_text,
    remove_blocklisted,
    segment_is_suspicious,
)
from asr.core.options import DEFAULT_BLOCKLIST, GuardOptions

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
        # a sentence that contains a blocklisted phrase but is not one is speech
        (
            "Ich sage vielen Dank fürs Zuschauen an alle am Livestream.",
            "Ich sage vielen Dank fürs Zuschauen an alle am Livestream.",
        ),
        ("Wir sehen uns, bis zum nächsten Mal im Juni.", "Wir sehen uns, bis zum nächsten Mal im Juni."),
    ],
)
def test_blocklisted_phrases_are_removed(spoken: str, kept: str) -> None:
    assert text(remove_blocklisted(ws(spoken), DEFAULT_BLOCKLIST)) == kept


def test_suspicion_follows_whispers_rules() -> None:
    assert segment_is_suspicious(DecodedSegment(tuple(ws("Ja")), no_speech_prob=0.9, avg_logprob=-1.2), OPTS)
    confident = DecodedSegment(tuple(ws("Ja")), no_speech_prob=0.9, avg_logprob=-0.3)
    assert not segment_is_suspicious(confident, OPTS)  # speech-like despite no_speech: Whisper keeps it too
    assert segment_is_suspicious(DecodedSegment(tuple(ws("Ja")), avg_logprob=-2.0), OPTS)
    assert segment_is_suspicious(DecodedSegment(tuple(ws("a a a")), compression_ratio=3.1), OPTS)
    assert not segment_is_suspicious(DecodedSegment(tuple(ws("a b c")), compression_ratio=1.3), OPTS)


def test_a_suspicious_segment_is_dropped_only_where_the_vad_finds_no_speech() -> None:
    noise = DecodedSegment(tuple(ws("Untertitel ja")), no_speech_prob=0.9, avg_logprob=-1.3)
    result = DecodeResult((noise,))
    silent = apply_guards(result, OPTS, has_speech=lambda start, end: False)
    assert silent.words == () and [d.reason for d in silent.drops] == [DropReason.NO_SPEECH]
    assert silent.drops[0].words == noise.words
    spoken = apply_guards(result, OPTS, has_speech=lambda start, end: True)
    assert spoken.words == noise.words and spoken.drops == ()
    # without a speech check nothing shows that it is not speech: kept
    assert apply_guards(result, OPTS).words == noise.words


@pytest.mark.parametrize(
    "segment",
    [
        # quiet, accented or synthetic speech: Whisper is unsure, the words are right
        DecodedSegment(tuple(ws("Der Antrag ist angenommen.")), no_speech_prob=0.7, avg_logprob=-1.8),
        # a legit repeated phrase compresses well
        DecodedSegment(tuple(ws("Ja, ja, ja, das stimmt. Ja, ja, ja.")), compression_ratio=3.0),
        # a sentence that contains, but is not, a blocklisted phrase
        DecodedSegment(tuple(ws("Vielen Dank fürs Zuschauen und Zuhören, sagt die Bürgermeisterin."))),
    ],
)
def test_real_speech_that_looks_suspicious_survives(segment: DecodedSegment) -> None:
    checked: list[tuple[float, float]] = []

    def vad(start: float, end: float) -> bool:
        checked.append((start, end))
        return True  # the VAD hears speech there

    out = apply_guards(DecodeResult((segment,)), OPTS, has_speech=vad)
    assert out.words == segment.words and out.drops == ()


def test_every_drop_has_its_reason_and_words() -> None:
    result = DecodeResult(
        (
            DecodedSegment(tuple(ws("Guten Abend."))),
            DecodedSegment(tuple(ws("Untertitelung des ZDF, 2020"))),
            DecodedSegment(tuple(ws("und dann und dann und dann"))),
        )
    )
    out = apply_guards(result, OPTS, has_speech=lambda a, b: True)
    assert text(out.words) == "Guten Abend. und dann"
    assert [(d.reason, d.text) for d in out.drops] == [
        (DropReason.BLOCKLIST, "Untertitelung des ZDF, 2020"),
        (DropReason.LOOP, "und dann und dann"),
    ]


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
    out = apply_guards(result, OPTS, has_speech=lambda start, end: False)  # asked about "ha ha" only
    assert text(out.words) == "Guten Abend."
    assert {d.reason for d in out.drops} == {DropReason.BLOCKLIST, DropReason.NO_SPEECH}


@given(st.lists(st.sampled_from(["der", "Rat", "tagt", "heute", "und", "morgen"]), max_size=30))
def test_loop_cutter_only_removes_and_leaves_no_loop(tokens: list[str]) -> None:
    words = ws(" ".join(tokens))
    out = cut_repetition_loop(words, OPTS)
    assert find_repetition_loop(out) is None
    it = iter(words)
    assert all(any(w is x for x in it) for w in out)  # a subsequence, order kept
