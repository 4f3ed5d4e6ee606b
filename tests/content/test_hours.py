from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.hours import HoursError, TimeRange, check_day, format_range, parse_range


def test_parse_range_gives_minutes() -> None:
    assert parse_range("08:00-12:30") == TimeRange(480, 750)
    assert parse_range("8:00 – 24:00") == TimeRange(480, 1440)


@pytest.mark.parametrize(
    "text", ["08:00", "8-12", "12:00-08:00", "09:00-09:00", "25:00-26:00", "08:61-09:00", "24:30-24:45", ""]
)
def test_parse_range_rejects_malformed(text: str) -> None:
    with pytest.raises(HoursError):
        parse_range(text)


def test_check_day_rejects_overlap_and_disorder() -> None:
    check_day([parse_range("08:00-12:00"), parse_range("12:00-18:00")])
    with pytest.raises(HoursError, match="overlap"):
        check_day([parse_range("08:00-12:00"), parse_range("11:00-18:00")])
    with pytest.raises(HoursError):
        check_day([parse_range("14:00-18:00"), parse_range("08:00-12:00")])


def test_contains_is_end_exclusive() -> None:
    r = parse_range("08:00-12:00")
    assert r.contains(480) and r.contains(719) and not r.contains(720)


@given(st.integers(0, 1439), st.integers(1, 1440))
def test_format_parse_round_trip(start: int, length: int) -> None:
    end = min(start + length, 1440)
    value = TimeRange(start, end)
    text = format_range(value)
    assert parse_range(text) == value
    assert format_range(parse_range(text)) == text
