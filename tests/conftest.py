"""Session-wide fixtures. Real services (redis-server, Rasa) start once per test session.

A test that uses a fixture reaching outside the Python process (a redis-server, the real Whisper model
and its hash check, espeak-ng speech, the Rasa stack) is marked ``slow`` here, whether or not its file
says so: ``make test-fast`` (``-m "not slow and not browser"``) then needs nothing external.
"""

from __future__ import annotations

import pytest

#: Fixtures that start or read something outside the Python process.
EXTERNAL_FIXTURES = frozenset({"redis_server", "whisper_model_dir", "german_speech_wav", "rasa_stack"})

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.rasa",
    "tests.fixtures.asr",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if EXTERNAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
