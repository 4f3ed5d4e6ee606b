from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from content.schema import Municipality, Office, OfficesFile, Topic, check_url
from tests.content.conftest import FIXTURE


def _topic() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (FIXTURE / "topics" / "personalausweis.yml").read_text(encoding="utf-8")
    )
    return data


def _office() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FIXTURE / "offices.yml").read_text(encoding="utf-8"))["offices"][0]
    return data


def _errors(model: Any, data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(tuple(e["loc"]), e["type"]) for e in info.value.errors()]


def test_fixture_files_validate() -> None:
    topic = Topic.model_validate(_topic())
    assert topic.last_reviewed == date(2026, 6, 1)
    assert topic.fees[0].amount_eur == 46.0
    offices = OfficesFile.model_validate(
        yaml.safe_load((FIXTURE / "offices.yml").read_text(encoding="utf-8"))
    )
    assert offices.offices[0].hours.as_pairs()["monday"] == [["08:00", "12:00"], ["14:00", "18:00"]]
    assert Municipality.model_validate(
        yaml.safe_load((FIXTURE / "municipality.yml").read_text(encoding="utf-8"))
    ).sample


def test_unknown_field_is_rejected() -> None:
    data = _topic() | {"tags": ["x"]}
    assert ((("tags",), "extra_forbidden")) in _errors(Topic, data)


@pytest.mark.parametrize(
    "field", ["id", "title", "questions", "answer", "sources", "office", "last_reviewed", "owner"]
)
def test_required_fields(field: str) -> None:
    data = _topic()
    del data[field]
    assert ((field,), "missing") in _errors(Topic, data)


def test_optional_fields_may_be_absent() -> None:
    data = _topic()
    for field in ("answer_easy", "fees", "documents"):
        del data[field]
    topic = Topic.model_validate(data)
    assert topic.answer_easy is None and topic.fees == [] and topic.documents == []


def test_questions_need_twelve_non_empty() -> None:
    data = _topic()
    data["questions"] = data["questions"][:11]
    assert ((("questions",), "too_short")) in _errors(Topic, data)
    data = _topic()
    data["questions"][3] = "   "
    assert ((("questions", 3), "string_too_short")) in _errors(Topic, data)


def test_id_pattern() -> None:
    data = _topic() | {"id": "Personal-Ausweis"}
    assert ((("id",), "string_pattern_mismatch")) in _errors(Topic, data)


def test_strict_types_reject_numbers_for_text() -> None:
    office = _office()
    office["address"]["postal_code"] = 54321
    assert ((("address", "postal_code"), "string_type")) in _errors(Office, office)


@pytest.mark.parametrize(
    "url",
    [
        "www.example.org/x",
        "ftp://example.org",
        "https://",
        "https://exa mple.org",
        "https://localhost:99999/",
        "https://nodot/",
    ],
)
def test_malformed_urls(url: str) -> None:
    data = _topic()
    data["sources"][0]["url"] = url
    assert ((("sources", 0, "url"), "content")) in _errors(Topic, data)


def test_valid_url_passes() -> None:
    assert check_url("https://www.musterstadt.example/a?b=c#d") == "https://www.musterstadt.example/a?b=c#d"


def test_hours_need_known_weekdays_and_valid_ranges() -> None:
    office = _office()
    office["hours"]["funday"] = []
    office["hours"]["monday"] = ["12:00-08:00"]
    office["hours"]["tuesday"] = ["08:00-12:00", "11:00-13:00"]
    del office["hours"]["sunday"]
    errors = _errors(Office, office)
    assert (("hours", "funday"), "extra_forbidden") in errors
    assert (("hours", "monday", 0), "content") in errors
    assert (("hours", "tuesday"), "content") in errors
    assert (("hours", "sunday"), "missing") in errors


def test_negative_fee_rejected() -> None:
    data = _topic()
    data["fees"][0]["amount_eur"] = -1
    assert ((("fees", 0, "amount_eur"), "greater_than_equal")) in _errors(Topic, data)


def test_bad_email_phone_timezone() -> None:
    muni = yaml.safe_load((FIXTURE / "municipality.yml").read_text(encoding="utf-8"))
    muni.update(email="kein-at", phone="ruf an", timezone="Mars/Olympus")
    errors = _errors(Municipality, muni)
    assert {(("email",), "content"), (("phone",), "content"), (("timezone",), "content")} <= set(errors)
