from __future__ import annotations

import logging

import pytest

from common.redact import RedactingFilter, install, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Meine Mail ist max.mustermann+amt@example.org, danke", "max.mustermann+amt@example.org"),
        ("Rufen Sie mich an: 0171 1234567", "0171 1234567"),
        ("Tel. +49 30 12345678", "+49 30 12345678"),
        ("Festnetz 030/1234567", "030/1234567"),
        ("erreichbar unter +49 (0)221 123-4567", "+49 (0)221 123-4567"),
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "DE89 3704 0044 0532 0130 00"),
        ("iban: DE89370400440532013000", "DE89370400440532013000"),
        ("Steuer-ID 12 345 678 901", "12 345 678 901"),
        ("Steuer-ID 12345678901", "12345678901"),
        ("ich wohne in der Lindenallee 12a", "Lindenallee 12a"),
        ("GET /ws/staff?token=s3cr3t-Token&name=x", "s3cr3t-Token"),
        ("GET /ws/chat?session=Jx3abcdefghijklmnopqrstuvwxyz012 101", "Jx3abcdefghijklmnopqrstuvwxyz012"),
    ],
)
def test_personal_data_is_redacted(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "broker id 1795412954988-12",
        "listening on 127.0.0.1:8080",
        "at 2026-09-15 05:47:44",
        "took 0.123 s for 2000 viewers",
        "GET /live/ratssitzung/transcript.vtt 200 5120",
    ],
)
def test_operational_numbers_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_installed_factory_redacts_records_of_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    install()
    install()  # idempotent
    caplog.set_level(logging.INFO)
    logging.getLogger("some.library").info("user wrote %s and %s", "a@b.de", "0171 1234567")
    logging.getLogger("aiohttp.access").info("GET /ws/staff?token=abc HTTP/1.1")
    text = caplog.text
    assert "a@b.de" not in text and "0171 1234567" not in text and "token=abc" not in text
    assert "[email]" in text and "[phone]" in text


def test_exception_text_is_redacted() -> None:
    try:
        raise ValueError("bad mail x@y.de")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed for %s", ("x@y.de",), None)
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "x@y.de" not in record.getMessage()
    assert "x@y.de" not in (record.exc_text or "")
