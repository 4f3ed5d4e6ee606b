"""The kinds of the assistant's replies: the one list for the action server, the gateway and the eval.

Every reply of the action server carries a custom payload ``{"type": <kind>, ...}`` (``replies.py``);
the gateway maps the kind to the ``chat.reply`` it shows (``channels/chat.py``) and the evaluation to
the label it scores (``bot/evaluation.py``). All three read the kinds from here, so a new kind is added
in one place and a typo fails at import, not in production.

Runs inside the Rasa environment (Python 3.10, pydantic 1) as part of the action package and in the
services' environment as ``bot.actions.kinds``: standard library only, no imports from the project.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

__all__ = ["ReplyType", "reply_type"]


class ReplyType(str, Enum):
    """The ``type`` of the custom payload of a bot reply."""

    FAQ_ANSWER = "faq_answer"  # an answer from a topic (``topic``, ``answer``, ``sources`` ...)
    CLARIFY = "clarify"  # "did you mean ...?" with topic ``options``
    DISCLOSURE = "disclosure"  # the AI disclosure that opens a conversation
    OUT_OF_SCOPE = "out_of_scope"  # not answered (``confidence``; ``reason``/``error`` when applicable)
    HANDOFF = "handoff"  # the citizen is handed to a person
    BOT_CHALLENGE = "bot_challenge"  # "are you a human?" answered
    SMALLTALK = "smalltalk"  # greeting, thanks, goodbye (``intent``)


def reply_type(custom: Mapping[str, object]) -> ReplyType | None:
    """The kind of a custom payload; ``None`` when it has no known ``type``."""
    value = custom.get("type")
    try:
        return ReplyType(value) if isinstance(value, str) else None
    except ValueError:
        return None
