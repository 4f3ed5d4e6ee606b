"""Events only gateway instances exchange over the broker: the hand-off queue (topic ``handoff``), callback
requests (``callbacks``), staff presence (``presence``) and the citizen's presence in a conversation
routed to staff (``chat:{session}``, live only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from channels.messages.base import Model, Version

__all__ = ["CallbackEvent", "CitizenPresence", "HandoffEvent", "StaffPresence"]


# ---------------------------------------------------------------- hand-off queue (broker topic "handoff")
class HandoffEvent(Model):
    """A change of one conversation's hand-off state; every gateway instance folds these into its queue."""

    type: Literal["handoff.event"] = "handoff.event"
    v: Version = 1
    session: str
    state: Literal["waiting", "active", "timeout", "ended"]
    staff: str | None = None
    ts: float = 0.0
    origin: str | None = None  # gateway instance that proposed it (it tells the citizen)


class CitizenPresence(Model):
    """The citizen's chat connection of a conversation routed to staff opened or closed (topic
    ``chat:{session}``, live only): staff see "Bürger hat das Gespräch verlassen" instead of a person waiting
    behind a closed tab. Never relayed to the citizen."""

    type: Literal["citizen.presence"] = "citizen.presence"
    v: Version = 1
    session: str
    present: bool
    ts: float = 0.0


class CallbackEvent(Model):
    """A callback request was made (``open``) or dealt with (``done``, by ``staff``); broker topic ``callbacks``.

    Holds personal data the citizen typed for this purpose (name, how to reach them); the topic keeps at most
    ``RATHAUS_BROKER_HISTORY`` events."""

    type: Literal["callback.event"] = "callback.event"
    v: Version = 1
    id: str
    state: Literal["open", "done"]
    session: str | None = None
    name: str = ""
    contact: str = ""
    question: str = ""
    staff: str | None = None
    ts: float = 0.0


class StaffPresence(Model):
    """How many staff consoles one gateway instance holds (broker topic ``presence``, live only)."""

    type: Literal["staff.presence"] = "staff.presence"
    v: Version = 1
    instance: str
    staff: int = Field(ge=0)
    ts: float = 0.0
