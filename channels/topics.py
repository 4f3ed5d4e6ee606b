"""The broker topics of the chat and the conversation ids that name them (pure)."""

from __future__ import annotations

import re
import secrets

__all__ = [
    "CALLBACK_TOPIC",
    "HANDOFF_TOPIC",
    "PRESENCE_TOPIC",
    "chat_topic",
    "new_session_id",
    "valid_session_id",
]

HANDOFF_TOPIC = "handoff"  # the hand-off queue: handoff.event, folded by every instance
CALLBACK_TOPIC = "callbacks"  # callback requests: callback.event, folded by every instance
PRESENCE_TOPIC = "presence"  # staff presence: staff.presence, live only
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def chat_topic(session: str) -> str:
    """One conversation's topic: chat.user, chat.reply, chat.status (stored) and live-only frames."""
    return f"chat:{session}"


def new_session_id() -> str:
    """32 URL-safe random characters (192 bits): unguessable."""
    return secrets.token_urlsafe(24)


def valid_session_id(value: str | None) -> bool:
    return value is not None and bool(_SESSION_RE.fullmatch(value))
