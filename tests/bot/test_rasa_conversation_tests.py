"""Rasa's own conversation tests (bot/tests/test_conversations.yml) against the trained model: the dialogue
policy answers follow-ups (intent `follow_up`) with action_answer_faq, also after an out-of-scope question
and a hand-off. Runs `rasa test core` in the Rasa environment (the model comes from the training cache;
no second training). A story whose follow-up is labelled `greet` instead fails (checked by hand)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.training import bot_dir, rasa_env, train

pytestmark = pytest.mark.slow


def test_rasa_conversation_tests_pass(tmp_path: Path) -> None:
    model = train().model
    out = tmp_path / "results"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(
        [str(rasa_env() / "bin" / "rasa"), "test", "core", "-m", str(model),
         "--stories", "tests/test_conversations.yml", "--out", str(out)],
        cwd=bot_dir(), env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    assert report["conversation_accuracy"]["correct"] == report["conversation_accuracy"]["total"] == 3
    failed = (out / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed
