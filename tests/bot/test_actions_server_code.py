"""bot/actions/actions.py inside the Rasa environment (it imports rasa_sdk, so it runs there)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.training import bot_dir, rasa_env

pytestmark = pytest.mark.slow

SCRIPT = """
import asyncio, json, sys
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from actions.actions import ActionAnswerFaq, ActionSessionStart

def tracker(message):
    return Tracker("s", {}, message, [], False, None, {}, "action_listen")

async def main():
    out = {}
    for name, action, message in [
        ("start", ActionSessionStart(), {}),
        ("choose", ActionAnswerFaq(), {"text": "/choose_topic", "intent": {"name": "choose_topic"},
                                       "entities": [{"entity": "topic", "value": "reisepass"}]}),
        ("junk", ActionAnswerFaq(), {"text": "x", "intent": {"name": "faq", "confidence": 1.0},
                                     "response_selector": {"faq": {"ranking": "kaputt"}}}),
    ]:
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker(message), {})
        out[name] = {"messages": dispatcher.messages, "events": [e["event"] for e in events]}
    print(json.dumps(out))

asyncio.run(main())
"""


def _run(index: Path) -> dict:
    env = {**os.environ, "RATHAUS_CONTENT_INDEX": str(index)}
    result = subprocess.run([str(rasa_env() / "bin" / "python"), "-c", SCRIPT], cwd=bot_dir(), env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_actions_answer_from_the_index_and_survive_junk() -> None:
    out = _run(bot_dir() / "generated" / "content_index.json")
    start = out["start"]
    assert start["events"] == ["session_started", "action"]
    assert start["messages"][0]["custom"]["type"] == "disclosure"
    choose = out["choose"]["messages"][0]
    assert choose["custom"]["topic"] == "reisepass" and "Quelle:" in choose["text"]
    assert out["junk"]["messages"][0]["custom"]["type"] == "out_of_scope"


def test_a_broken_index_gives_a_polite_apology_not_silence(tmp_path: Path) -> None:
    out = _run(tmp_path / "missing.json")
    for name in ("start", "choose", "junk"):
        message = out[name]["messages"][0]
        assert message["custom"] == {"type": "out_of_scope", "confidence": 0.0, "error": True}
        assert message["text"].startswith("Entschuldigung")
