"""Opening hours for a given moment: open now, opens later, or closed that day; German sentences.

Plain Python over the content index's structured hours (``{"monday": [["08:00", "12:30"], ...]}``).
The clock is an argument, so tests pass any moment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "WEEKDAYS",
    "DayStatus",
    "day_status",
    "describe_status",
    "find_office",
    "named_office",
    "requested_day",
    "week_lines",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_DE = {
    "monday": "Montag",
    "tuesday": "Dienstag",
    "wednesday": "Mittwoch",
    "thursday": "Donnerstag",
    "friday": "Freitag",
    "saturday": "Samstag",
    "sunday": "Sonntag",
}

_DAY_WORDS = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4,
    "samstag": 5, "sonnabend": 5, "sonntag": 6,
}


@dataclass(frozen=True, slots=True)
class DayStatus:
    """Opening state of one office on one day, seen from ``now``.

    state: ``open`` (open right now, until ``until``), ``later`` (opens at ``opens``),
    ``over`` (was open that day, closed now), ``closed`` (not open that day at all),
    ``other_day`` (a day other than today was asked for; ``ranges`` says when).
    """

    weekday: str
    state: str
    ranges: tuple[tuple[str, str], ...]
    until: str | None = None
    opens: str | None = None


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes)


def _ranges(hours: Mapping[str, Any], weekday: str) -> tuple[tuple[str, str], ...]:
    out = []
    for entry in hours.get(weekday) or ():
        if isinstance(entry, str):  # tolerate "08:00-12:00" as well as ["08:00", "12:00"]
            start, _, end = entry.partition("-")
        else:
            start, end = entry[0], entry[1]
        out.append((start.strip(), end.strip()))
    return tuple(out)


def day_status(hours: Mapping[str, Any], now: datetime, *, day_offset: int = 0) -> DayStatus:
    """The office's state on ``now``'s day (or ``day_offset`` days later) at ``now``'s time."""
    day = now + timedelta(days=day_offset)
    weekday = WEEKDAYS[day.weekday()]
    ranges = _ranges(hours, weekday)
    if not ranges:
        return DayStatus(weekday=weekday, state="closed", ranges=())
    if day_offset:
        return DayStatus(weekday=weekday, state="other_day", ranges=ranges)
    minute = now.hour * 60 + now.minute
    for start, end in ranges:
        if _minutes(start) <= minute < _minutes(end):
            return DayStatus(weekday=weekday, state="open", ranges=ranges, until=end)
        if minute < _minutes(start):
            return DayStatus(weekday=weekday, state="later", ranges=ranges, opens=start)
    return DayStatus(weekday=weekday, state="over", ranges=ranges)


def _join_ranges(ranges: Sequence[tuple[str, str]]) -> str:
    parts = [f"{start} bis {end} Uhr" for start, end in ranges]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " und " + parts[-1]


def describe_status(office_name: str, status: DayStatus, *, day_offset: int = 0) -> str:
    """One German sentence about ``status`` (e.g. "Das Bürgerbüro hat heute geöffnet ...")."""
    day = "heute" if day_offset == 0 else ("morgen" if day_offset == 1 else f"am {WEEKDAY_DE[status.weekday]}")
    name = office_name
    if status.state == "closed":
        return f"{name}: {day} ({WEEKDAY_DE[status.weekday]}) geschlossen."
    hours = _join_ranges(status.ranges)
    if status.state == "open":
        return f"{name}: jetzt geöffnet, noch bis {status.until} Uhr. Heute geöffnet {hours}."
    if status.state == "later":
        return f"{name}: heute ab {status.opens} Uhr geöffnet ({hours})."
    if status.state == "over":
        return f"{name}: heute geöffnet {hours}; jetzt ist bereits geschlossen."
    return f"{name}: {day} ({WEEKDAY_DE[status.weekday]}) geöffnet {hours}."


def week_lines(hours: Mapping[str, Any]) -> tuple[str, ...]:
    """``("Montag: 08:00 bis 12:30 Uhr", ..., "Sonntag: geschlossen")``."""
    lines = []
    for weekday in WEEKDAYS:
        ranges = _ranges(hours, weekday)
        lines.append(f"{WEEKDAY_DE[weekday]}: {_join_ranges(ranges) if ranges else 'geschlossen'}")
    return tuple(lines)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower())


def find_office(text: str, offices: Mapping[str, Mapping[str, Any]], default: str | None = None) -> str:
    """The office a message talks about (by name, id or one of its content ``aliases``); else ``default``
    (the content's ``assistant.opening_hours.default_office``), else the first office."""
    named = named_office(text, offices)
    if named is not None:
        return named
    return default if default is not None and default in offices else next(iter(offices), default or "")


def named_office(text: str, offices: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The office a message names (by name, id or one of its content ``aliases``), or ``None``."""
    lowered = _normalise(text)
    best: tuple[int, str] | None = None
    for office_id, office in offices.items():
        words = {office_id, str(office.get("name", "")).lower(), *(str(a).lower() for a in office.get("aliases") or ())}
        for word in words:
            if word and word in lowered:
                # The longest match wins ("stadtbibliothek" over "bibliothek" elsewhere).
                if best is None or len(word) > best[0]:
                    best = (len(word), office_id)
    return best[1] if best is not None else None


def requested_day(text: str, now: datetime) -> int:
    """Days from today the message asks about: 0 (default, "heute"), 1 ("morgen"), or a weekday name."""
    lowered = _normalise(text)
    if "übermorgen" in lowered or "uebermorgen" in lowered:
        return 2
    if re.search(r"\bmorgen\b", lowered) and "guten morgen" not in lowered and "morgens" not in lowered:
        return 1
    for word, weekday in _DAY_WORDS.items():
        if re.search(rf"\b{word}s?\b", lowered):
            return (weekday - now.weekday()) % 7
    return 0
