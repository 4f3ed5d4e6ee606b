"""Opening hours for today from the structured hours (pure)."""

from __future__ import annotations

from datetime import datetime

from bot.actions.hours import day_status, describe_status, find_office, requested_day, week_lines

HOURS = {
    "monday": [["08:00", "12:30"]],
    "tuesday": [["08:00", "12:30"]],
    "wednesday": [],
    "thursday": [["08:00", "12:30"], ["14:00", "18:00"]],
    "friday": [["08:00", "12:00"]],
    "saturday": [["09:00", "12:00"]],
    "sunday": [],
}
OFFICES = {
    "buergerbuero": {"id": "buergerbuero", "name": "Bürgerbüro"},
    "standesamt": {"id": "standesamt", "name": "Standesamt"},
    "stadtbibliothek": {"id": "stadtbibliothek", "name": "Stadtbibliothek", "aliases": ["bücherei"]},
}

THURSDAY = datetime(2026, 11, 26)


def test_open_now() -> None:
    status = day_status(HOURS, THURSDAY.replace(hour=10))
    assert (status.state, status.until) == ("open", "12:30")
    assert "noch bis 12:30 Uhr" in describe_status("Bürgerbüro", status)


def test_lunch_break_opens_later() -> None:
    status = day_status(HOURS, THURSDAY.replace(hour=13))
    assert (status.state, status.opens) == ("later", "14:00")
    assert "ab 14:00 Uhr" in describe_status("Bürgerbüro", status)


def test_after_hours_and_closed_day() -> None:
    assert day_status(HOURS, THURSDAY.replace(hour=19)).state == "over"
    wednesday = day_status(HOURS, datetime(2026, 11, 25, 10))
    assert wednesday.state == "closed"
    assert "geschlossen" in describe_status("Bürgerbüro", wednesday)


def test_string_ranges_are_accepted() -> None:
    status = day_status({"thursday": ["08:00-09:00"]}, THURSDAY.replace(hour=8, minute=30))
    assert status.state == "open"


def test_week_lines() -> None:
    lines = week_lines(HOURS)
    assert lines[0] == "Montag: 08:00 bis 12:30 Uhr"
    assert lines[2] == "Mittwoch: geschlossen"
    assert lines[3] == "Donnerstag: 08:00 bis 12:30 Uhr und 14:00 bis 18:00 Uhr"


def test_find_office_by_name_alias_or_default() -> None:
    assert find_office("Hat das Standesamt heute auf?", OFFICES) == "standesamt"
    assert find_office("wann hat die bücherei offen", OFFICES) == "stadtbibliothek"
    assert find_office("Hat die Stadtbibliothek auf?", OFFICES) == "stadtbibliothek"
    assert find_office("Habt ihr heute offen?", OFFICES, default="standesamt") == "standesamt"
    assert find_office("Habt ihr heute offen?", OFFICES) == "buergerbuero"  # no default: the first office
    assert find_office("Hat die Bücherei in Musterstadt auf?", {"buergerbuero": OFFICES["buergerbuero"]}) == (
        "buergerbuero")  # an alias is the content's: an office without it is not matched by it


def test_requested_day() -> None:
    assert requested_day("Hat das Bürgerbüro heute auf?", THURSDAY) == 0
    assert requested_day("und morgen?", THURSDAY) == 1
    assert requested_day("Guten Morgen, habt ihr offen?", THURSDAY) == 0
    assert requested_day("Ist am Samstag geöffnet?", THURSDAY) == 2
    assert requested_day("montags?", THURSDAY) == 4
