"""The one list of reply kinds (bot/actions/kinds.py), shared by the action server, gateway and eval."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from bot.actions import kinds
from bot.actions.kinds import ReplyType, reply_type
from bot.evaluation import label_from_messages
from channels.chat import REPLY_KINDS, map_rasa_messages

KINDS_FILE = Path(kinds.__file__)


def test_every_kind_has_a_gateway_reply_kind_and_unknown_ones_are_none() -> None:
    assert set(REPLY_KINDS) == set(ReplyType)
    assert reply_type({"type": "faq_answer"}) is ReplyType.FAQ_ANSWER
    assert reply_type({"type": "neu"}) is None and reply_type({"type": 3}) is None and reply_type({}) is None


def test_kinds_module_runs_in_the_rasa_environment() -> None:
    """Python 3.10 with rasa-sdk: standard library only, no project imports."""
    tree = ast.parse(KINDS_FILE.read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m.split(".")[0] for m in modules} <= set(sys.stdlib_module_names) | {"__future__"}


def test_gateway_and_eval_read_the_same_kinds() -> None:
    message = {"custom": {"type": ReplyType.HANDOFF.value, "phone": "0"}, "text": "Ich verbinde Sie."}
    assert label_from_messages([message]) == ("human_handoff", None)
    outcome = map_rasa_messages([message], session="s", new_id=lambda: "1-0", now=0.0)
    assert outcome.handoff and outcome.replies[0].kind == "handoff"
