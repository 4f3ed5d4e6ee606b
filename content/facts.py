"""Facts in an answer text, so the Leichte Sprache text can be compared with the standard text.

An easy-language text (``answer_easy``) says less than the standard ``answer``, in simpler words; it must
never say something *else*. :func:`facts` pulls out what can be compared mechanically: clock times
("8 Uhr", "12:30 Uhr", "8.30 Uhr"), money ("70,00 Euro", "37,50 €"), durations and deadlines
("4 bis 6 Wochen", "vier bis sechs Wochen", "3 Werktage") and phone numbers. Numbers one to twelve
written as words (and ordinals: "am dritten Werktag") count as digits, and "70 Euro" equals "70,00 Euro".
:func:`easy_only` lists the facts of the easy text that the standard text does not contain: each one is
a contradiction or an addition the editors have to look at. Pure: text in, values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = ["Fact", "easy_only", "facts", "offices_named"]

FactKind = Literal["time", "money", "duration", "phone"]

_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "vierzehn": 14, "zwanzig": 20, "dreißig": 30,
}
# "am dritten Werktag" states the same deadline as "3 Werktage"
_ORDINALS = {"ersten": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "fünften": 5, "sechsten": 6, "siebten": 7,
             "achten": 8, "neunten": 9, "zehnten": 10, "elften": 11, "zwölften": 12, "vierzehnten": 14}
_NUMBER_WORDS |= _ORDINALS
_NUM = r"(?:\d+(?:[.,]\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNITS = {
    "minute": "minute", "minuten": "minute", "stunde": "hour", "stunden": "hour", "tag": "day", "tage": "day",
    "tagen": "day", "werktag": "workday", "werktage": "workday", "werktagen": "workday", "woche": "week",
    "wochen": "week", "monat": "month", "monate": "month", "monaten": "month", "jahr": "year", "jahre": "year",
    "jahren": "year",
}
_UNIT = r"(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
_RANGE = rf"(?P<a>{_NUM})(?:\s*(?:bis|-|–)\s*(?P<b>{_NUM}))?"
_DURATION = re.compile(rf"(?<![\w,.]){_RANGE}\s+(?P<unit>{_UNIT})\b", re.IGNORECASE)
_MONEY = re.compile(r"(?<![\w,.])(?P<amount>\d{1,6}(?:[.,]\d{1,2})?)\s*(?:Euro|EUR|€)", re.IGNORECASE)
_TIME = re.compile(
    r"(?<![\w,.:])(?P<a>\d{1,2}(?:[:.]\d{2})?)(?:\s*(?:bis|-|–)\s*(?P<b>\d{1,2}(?:[:.]\d{2})?))?\s*Uhr\b"
    r"|(?<![\w,.:])(?P<c>\d{1,2}:\d{2})(?:\s*(?:bis|-|–)\s*(?P<d>\d{1,2}:\d{2}))?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w])(?:\+\d{1,3}[\s/]?|0)\d{2,5}(?:[\s/-]?\d{2,}){1,4}")


@dataclass(frozen=True, slots=True, order=True)
class Fact:
    """One comparable fact: its kind, a normalised value ("08:30", "70.00", "4-6 week") and the words."""

    kind: FactKind
    value: str
    text: str


def _number(word: str) -> Decimal | None:
    lowered = word.lower()
    if lowered in _NUMBER_WORDS:
        return Decimal(_NUMBER_WORDS[lowered])
    try:
        return Decimal(lowered.replace(",", "."))
    except InvalidOperation:
        return None


def _clock(text: str) -> str:
    hours, _, minutes = text.replace(".", ":").partition(":")
    return f"{int(hours):02d}:{minutes or '00'}"


def facts(text: str) -> set[Fact]:
    """The times, amounts of money, durations and phone numbers in ``text``."""
    found: set[Fact] = set()
    for match in _MONEY.finditer(text):
        amount = _number(match["amount"])
        if amount is not None:
            found.add(Fact("money", f"{amount:.2f}", match[0]))
    taken = [m.span() for m in _MONEY.finditer(text)]
    for match in _TIME.finditer(text):
        start, end = (match["a"], match["b"]) if match["a"] else (match["c"], match["d"])
        for value in (start, end):
            if value:
                found.add(Fact("time", _clock(value), match[0]))
    for match in _DURATION.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        first, last = _number(match["a"]), _number(match["b"]) if match["b"] else None
        if first is None:
            continue
        span = f"{first:g}" if last is None else f"{first:g}-{last:g}"
        found.add(Fact("duration", f"{span} {_UNITS[match['unit'].lower()]}", match[0]))
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match[0])
        if len(digits) >= 6:
            found.add(Fact("phone", digits, match[0]))
    return found


def easy_only(easy: str, standard: str) -> list[Fact]:
    """Facts of the easy text that the standard text does not state (by kind and normalised value)."""
    known = {(f.kind, f.value) for f in facts(standard)}
    # A range in the standard text ("8 bis 12:30 Uhr") states both of its ends.
    return sorted(f for f in facts(easy) if (f.kind, f.value) not in known)


def offices_named(text: str, names: dict[str, str]) -> set[str]:
    """Ids of the offices (``{id: name}``) whose name appears in ``text`` as a word."""
    lowered = text.lower()
    return {
        office_id
        for office_id, name in names.items()
        if re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", lowered)
    }
