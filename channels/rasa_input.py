"""What the gateway lets through to Rasa, sans-I/O.

Rasa reads a message that starts with ``/`` as intent syntax (``/intent{"entity": "value"}``, its
``RegexMessageHandler``): the citizen would pick intents and entities directly, and a malformed one is
echoed in full into Rasa's log ("Failed to parse arguments in line '...'"). So:

* free text goes through :func:`rasa_text`, which removes leading slashes (and the whitespace Rasa strips
  anyway), so text is always classified as text;
* a button payload is sent as such only when the bot offered exactly that payload in this conversation
  (:func:`offered_payloads` over the stored history); anything else is dropped and the message's text is
  used instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from channels.messages import ChatEvent, ChatReply

__all__ = ["offered_payloads", "rasa_text"]

# Rasa strips the message (str.strip: Unicode whitespace) before it looks for the "/" prefix.
_INTENT_PREFIX = re.compile(r"^[\s/]+")


def rasa_text(text: str) -> str:
    """``text`` as Rasa may see it: never intent syntax. Empty when nothing but slashes was typed."""
    return _INTENT_PREFIX.sub("", text).rstrip()


def offered_payloads(history: Iterable[ChatEvent]) -> frozenset[str]:
    """Every button payload the bot has offered in a conversation."""
    return frozenset(
        button.payload for event in history if isinstance(event, ChatReply) for button in event.buttons
    )
