"""Opening hours as structured data: ``"08:00-12:30"`` ranges per weekday.

Pure functions (no I/O): parse and format a range, and check a day's ranges for order and overlap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WEEKDAYS", "HoursError", "TimeRange", "check_day", "format_range", "parse_range"]

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    """A malformed opening-hours range; the message says what and how to write it."""


@dataclass(frozen=True, slots=True, order=True)
class TimeRange:
    """An opening interval within one day, in minutes after midnight (end exclusive, ``24:00`` allowed)."""

    start: int
    end: int

    @property
    def start_text(self) -> str:
        return _hhmm(self.start)

    @property
    def end_text(self) -> str:
        return _hhmm(self.end)

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(hours: str, minutes: str, text: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        raise HoursError(f"{text!r} contains an impossible time; use 00:00 to 24:00")
    return h * 60 + m


def parse_range(text: str) -> TimeRange:
    """Parse ``"HH:MM-HH:MM"``; the start must be before the end."""
    match = _RANGE.match(text)
    if match is None:
        raise HoursError(f'{text!r} is not a time range; write it like "08:00-12:30" (24-hour clock)')
    start = _minutes(match.group(1), match.group(2), text)
    end = _minutes(match.group(3), match.group(4), text)
    if start >= end:
        raise HoursError(f"{text!r} ends before it starts; write the earlier time first")
    return TimeRange(start, end)


def format_range(value: TimeRange) -> str:
    """The canonical ``"HH:MM-HH:MM"`` form of ``value``."""
    return f"{value.start_text}-{value.end_text}"


def check_day(ranges: Sequence[TimeRange]) -> None:
    """A day's ranges must be in time order and must not overlap."""
    for before, after in zip(ranges, ranges[1:], strict=False):
        if after.start < before.end:
            raise HoursError(
                f"{format_range(before)} and {format_range(after)} overlap or are out of order; "
                "list the ranges of a day from morning to evening without overlaps"
            )
