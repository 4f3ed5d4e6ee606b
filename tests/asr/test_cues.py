"""Cue builder: German broadcast rules, by example and by property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr.core.cues import CueBuilder, build_cues, layout_lines, spell_small_number, validate_cues
from asr.core.decoder import Word
from asr.core.options import CueOptions
from common.subtitles import Cue

OPTS = CueOptions()


def speak(text: str, *, start: float = 0.0, cps: float = 14.0, gap: float = 0.08) -> list[Word]:
    out = []
    t = start
    for token in text.split():
        dur = len(token) / cps
        out.append(Word(token, t, t + dur))
        t += dur + gap
    return out


def errors(cues: list[Cue]) -> list:  # type: ignore[type-arg]
    return [v for v in validate_cues(cues, OPTS) if v.severity == "error"]


SESSION = (
    "Guten Abend, meine Damen und Herren. Ich eröffne die Sitzung des Stadtrats der Stadt Musterstadt. "
    "Auf der Tagesordnung stehen heute der Haushalt für das kommende Jahr und die Sanierung der "
    "Hauptstraße, die seit Monaten gesperrt ist. Gibt es Einwände? Das ist nicht der Fall."
)


def test_session_text_obeys_the_rules() -> None:
    cues = build_cues(speak(SESSION))
    assert errors(cues) == []
    assert [v for v in validate_cues(cues) if v.rule == "line_break"] == []
    assert " ".join(c.text for c in cues) == SESSION
    assert cues[0].lines == ("Guten Abend, meine Damen und Herren.",)  # a sentence is a cue
    for cue in cues:
        for line in cue.lines[:-1]:
            assert line.split()[-1].lower() not in {"der", "die", "das", "ein", "eine", "dem", "den", "des"}


def test_layout_prefers_breaks_after_punctuation_and_before_conjunctions() -> None:
    assert layout_lines("Der Rat hat getagt, danach gab es eine Pause".split(), OPTS) == (
        "Der Rat hat getagt,",
        "danach gab es eine Pause",
    )
    assert layout_lines("Wir beraten den Haushalt und die neue Straße".split(), OPTS) == (
        "Wir beraten den Haushalt",
        "und die neue Straße",
    )
    assert layout_lines("Kurz".split(), OPTS) == ("Kurz",)
    assert layout_lines(["x" * 38], OPTS) is None


def test_never_breaks_between_article_and_noun() -> None:
    lines = layout_lines("Heute sprechen wir ausführlich über die Sanierung".split(), OPTS)
    assert lines is not None and not lines[0].endswith(" die")


def test_short_fast_cue_lasts_one_second_and_reading_speed_extends_when_room() -> None:
    words = [Word("Ja.", 0.0, 0.2), Word("Gut,", 5.0, 5.3), Word("dann", 5.35, 5.6), Word("weiter.", 5.65, 6.0)]
    cues = build_cues(words, CueOptions(min_sentence_chars=1))
    assert cues[0].lines == ("Ja.",)
    assert cues[0].end - cues[0].start >= 1.0
    assert cues[1].start >= cues[0].end
    # "Gut, dann weiter." = 17 chars -> 1.13 s at 15 cps; spoken in 1.0 s, extended to the reading time
    assert cues[1].end == pytest.approx(5.0 + 17 / 15, abs=0.01)


def test_long_words_are_hyphenated_to_fit() -> None:
    word = "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung"
    cues = build_cues([Word("Die", 0, 0.3), Word(word, 0.4, 3.0), Word("gilt.", 3.1, 3.5)])
    assert errors(cues) == []
    assert all(len(line) <= 37 for c in cues for line in c.lines)
    assert "".join(" ".join(c.lines) for c in cues).replace("- ", "").replace("-", "").count(word) == 1


def test_live_emission_waits_for_a_complete_cue() -> None:
    builder = CueBuilder(OPTS)
    assert builder.add(speak("Wir kommen nun"), now=1.2) == []
    done = builder.add(speak("zum Haushalt.", start=1.2), now=2.3)
    assert [c.text for c in done] == ["Wir kommen nun zum Haushalt."]
    assert builder.add(speak("Der Kämmerer", start=2.5), now=3.4) == []
    paused = builder.add([], now=3.4 + OPTS.pause_s + 0.5)  # a pause completes the cue
    assert [c.text for c in paused] == ["Der Kämmerer"]
    assert builder.flush() == []


def test_two_full_lines_are_emitted_without_waiting_for_the_sentence_end() -> None:
    builder = CueBuilder(OPTS)
    text = "die Verwaltung schlägt vor den Zuschuss für den Sportverein im kommenden Jahr zu erhöhen weil"
    cues = builder.add(speak(text), now=None)
    assert cues and len(cues[0].lines) == 2
    assert errors(cues) == []


def test_validate_cues_reports_each_rule() -> None:
    bad = [
        Cue(1, 0.0, 0.5, ("x" * 38,)),
        Cue(1, 0.2, 2.0, ("a", "b", "c")),
        Cue(3, 3.0, 4.0, ("",)),
    ]
    rules = {v.rule for v in validate_cues(bad, OPTS) if v.severity == "error"}
    assert rules == {"line_length", "min_duration", "max_lines", "order", "overlap", "empty_line"}


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=14).map(str.strip)
PUNCT = st.sampled_from(["", "", "", ",", ".", "?"])


@st.composite
def word_streams(draw, long_words: bool = False):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 60))
    t = draw(st.floats(0.0, 5.0))
    out = []
    max_size = 60 if long_words else 14
    for _ in range(n):
        text = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=max_size)) + draw(PUNCT)
        t += draw(st.floats(0.0, 2.5))
        dur = draw(st.floats(0.0, 1.2))
        out.append(Word(text, round(t, 3), round(t + dur, 3)))
        t += dur
    return out


def check_rules(cues: list[Cue]) -> None:
    assert errors(cues) == []
    for a, b in zip(cues, cues[1:], strict=False):
        assert b.index == a.index + 1
        assert b.start >= a.end
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(line and len(line) <= 37 and line == line.strip() for line in cue.lines)
        assert cue.end - cue.start >= 1.0 - 1e-9


@settings(max_examples=200, deadline=None)
@given(word_streams())
def test_property_offline_cues_keep_all_words_in_order(words: list[Word]) -> None:
    cues = build_cues(words)
    check_rules(cues)
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words)


@settings(max_examples=200, deadline=None)
@given(word_streams(), st.lists(st.integers(1, 5), min_size=1, max_size=30))
def test_property_live_cues_in_any_chunking(words: list[Word], sizes: list[int]) -> None:
    builder = CueBuilder(OPTS)
    cues: list[Cue] = []
    i = 0
    k = 0
    while i < len(words):
        chunk = words[i : i + sizes[k % len(sizes)]]
        i += len(chunk)
        k += 1
        cues += builder.add(chunk, now=chunk[-1].end + 0.5)
    cues += builder.flush()
    check_rules(cues)
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words)


@settings(max_examples=100, deadline=None)
@given(word_streams(long_words=True))
def test_property_long_words_never_exceed_a_line(words: list[Word]) -> None:
    cues = build_cues(words)
    check_rules(cues)
    letters = "".join(c.text for c in cues).replace("-", "").replace(" ", "")
    assert letters == "".join(w.text for w in words).replace(" ", "")


@pytest.mark.parametrize(
    ("word", "spelled"),
    [("3", "drei"), ("3,", "drei,"), ("12?", "zwölf?"), ("1,", "eins,"), ("1", "1"), ("13", "13"),
     ("3.", "3."), ("2026", "2026"), ("8:30", "8:30"), ("0", "0")],
)
def test_numbers_two_to_twelve_are_spelled_out(word: str, spelled: str) -> None:
    assert spell_small_number(word) == spelled


def test_cues_spell_small_numbers_unless_switched_off() -> None:
    said = [Word("Tagesordnungspunkt", 0.0, 0.8, 0.9), Word("3,", 0.9, 1.2, 0.9), Word("Haushalt.", 1.3, 2.0, 0.9)]
    assert build_cues(said)[0].text == "Tagesordnungspunkt drei, Haushalt."
    assert "3," in build_cues(said, CueOptions(spell_small_numbers=False))[0].text
