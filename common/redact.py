"""Redaction of personal data before anything is logged.

Citizens type e-mail addresses, phone numbers, IBANs and tax ids into a chat even when told not to.
:func:`redact` replaces them with placeholders; :func:`install` makes every log record of the process
pass through it (a log-record factory, so records from every logger and library are covered, whatever
handler writes them). Sans-I/O: only ``re`` and ``logging``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["INSTALLED_MARKER", "RedactingFilter", "install", "redact"]

# Written by bot/pylib/sitecustomize.py once a Rasa process redacts its log records.
INSTALLED_MARKER = "rathaus.redaction.installed"

# Order matters: IBAN before phone numbers (an IBAN contains long digit runs).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(token|secret|password|passwort|session)=([^&\s\"']+)"), r"\1=[redacted]"),
    (re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"), "[iban]"),
    # German Steuer-ID: 11 digits, often grouped 2-3-3-3.
    (re.compile(r"(?<![\w-])\d{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}(?![\w-])"), "[steuer-id]"),
    # Phone numbers: +49 / 0049 / leading 0, then at least 6 more digits with common separators.
    (
        re.compile(
            r"(?<![\w.+/-])(?:(?:\+|00)\d{1,3}[ /.-]?(?:\(0\)[ /.-]?)?|\(?0)"
            r"\d{1,5}\)?(?:[ /.-]?\d){5,12}(?![\w])"
        ),
        "[phone]",
    ),
    # Street and house number ("Lindenallee 12a"): a home address identifies a person.
    (
        re.compile(
            r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer)"
            r"[ ]+\d{1,4}[ ]?[a-zA-Z]?\b"
        ),
        "[address]",
    ),
)


def redact(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers, IBANs, tax ids, street addresses and tokens replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (for handlers outside this process's factory)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken %-format: keep the raw template, still redacted
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    record._redacted = True


_installed = False


def install() -> None:
    """Redact every log record created from now on in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
