"""Staff console frames: staff -> gateway (``staff.take`` ...), gateway -> staff (``staff.queue`` ...), and
the login exchange of ``/api/staff/login``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from channels.messages.base import MAX_ID_CHARS, MAX_TEXT_CHARS, Model, Version
from channels.messages.chat import ChatEvent

__all__ = [
    "StaffCallback",
    "StaffCallbackDone",
    "StaffCallbacks",
    "StaffConversation",
    "StaffFrame",
    "StaffLogin",
    "StaffLoginMethods",
    "StaffLoginRequest",
    "StaffMessage",
    "StaffQueue",
    "StaffRelease",
    "StaffSend",
    "StaffTake",
    "StaffTyping",
    "StaffUpdate",
]


class StaffTake(Model):
    type: Literal["staff.take"] = "staff.take"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class StaffSend(Model):
    type: Literal["staff.send"] = "staff.send"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class StaffRelease(Model):
    type: Literal["staff.release"] = "staff.release"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class StaffTyping(Model):
    """Staff type a message in a conversation they took (the console sends it at most every 2 s)."""

    type: Literal["staff.typing"] = "staff.typing"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class StaffCallbackDone(Model):
    type: Literal["staff.callback_done"] = "staff.callback_done"
    v: Version = 1
    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)


StaffFrame = Annotated[
    StaffTake | StaffSend | StaffTyping | StaffRelease | StaffCallbackDone, Field(discriminator="type")
]


class StaffCallback(Model):
    id: str
    state: Literal["open", "done"]
    name: str
    contact: str
    question: str
    requested: float
    done_by: str | None = None
    done_at: float | None = None


class StaffCallbacks(Model):
    """Every callback request the gateway holds (open ones first); sent on connect and after each change."""

    type: Literal["staff.callbacks"] = "staff.callbacks"
    v: Version = 1
    callbacks: tuple[StaffCallback, ...] = ()


class StaffLoginRequest(Model):
    """``POST /api/staff/login`` with a per-person account (docs/protocol.md)."""

    login: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class StaffLogin(Model):
    """Answer to a login: the ticket for ``/ws/staff?ticket=`` and the name staff act under."""

    type: Literal["staff.login"] = "staff.login"
    v: Version = 1
    ticket: str
    name: str
    expires_in_s: float


class StaffLoginMethods(Model):
    """``GET /api/staff/login``: which logins this gateway takes (the console shows the matching form)."""

    type: Literal["staff.login_methods"] = "staff.login_methods"
    v: Version = 1
    accounts: bool
    token: bool


class StaffConversation(Model):
    session: str
    status: Literal["waiting", "active", "timeout", "ended"]
    waiting_since: float
    staff: str | None = None
    history: tuple[ChatEvent, ...] = ()
    # waiting only: seconds until the request times out, counted when the frame was made (clock-skew free)
    timeout_s: float | None = None
    citizen_present: bool = True  # False: the citizen closed the chat (tab, connection) since asking


class StaffQueue(Model):
    """The whole list of open conversations; sent on connect (and when the gateway rebuilt its queue)."""

    type: Literal["staff.queue"] = "staff.queue"
    v: Version = 1
    conversations: tuple[StaffConversation, ...] = ()


class StaffUpdate(Model):
    """One conversation of the queue changed: a delta to apply to the last ``staff.queue``.

    ``status`` ``timeout`` or ``ended``: the conversation leaves the queue. ``history`` is sent only with a
    conversation that is new to the queue (``null`` otherwise: keep what you have).
    """

    type: Literal["staff.update"] = "staff.update"
    v: Version = 1
    session: str
    status: Literal["waiting", "active", "timeout", "ended"]
    waiting_since: float
    staff: str | None = None
    history: tuple[ChatEvent, ...] | None = None
    timeout_s: float | None = None  # as in StaffConversation
    citizen_present: bool = True


class StaffMessage(Model):
    """A new message in a conversation the console shows (citizen, bot, staff or status)."""

    type: Literal["staff.message"] = "staff.message"
    v: Version = 1
    session: str
    message: ChatEvent
