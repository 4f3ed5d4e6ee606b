"""Session-wide fixtures. Real services (redis-server, Rasa) start once per test session."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.rasa",
    "tests.fixtures.asr",
]
