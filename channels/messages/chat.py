"""Chat frames: what the widget sends (``chat.send`` ...), what the gateway answers (``chat.session`` ...),
and the chat events stored on the broker topic ``chat:{session}`` (``chat.user``, ``chat.reply``,
``chat.status``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from channels.messages.base import (
    MAX_ID_CHARS,
    MAX_PAYLOAD_CHARS,
    MAX_TEXT_CHARS,
    Action,
    Button,
    Model,
    Office,
    ReplyKind,
    Source,
    Version,
)

__all__ = [
    "ChatAvailability",
    "ChatCallback",
    "ChatEvent",
    "ChatFeedback",
    "ChatHandoff",
    "ChatHandoffCancel",
    "ChatHistory",
    "ChatReply",
    "ChatRequest",
    "ChatResponse",
    "ChatSend",
    "ChatSession",
    "ChatStatus",
    "ChatTyping",
    "ChatUser",
    "ChatWaiting",
    "ClientFrame",
]


# ---------------------------------------------------------------- chat, client -> gateway
class ChatSend(Model):
    type: Literal["chat.send"] = "chat.send"
    v: Version = 1
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    payload: str | None = Field(default=None, max_length=MAX_PAYLOAD_CHARS)


class ChatFeedback(Model):
    type: Literal["chat.feedback"] = "chat.feedback"
    v: Version = 1
    message_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    rating: Literal["up", "down"]


class ChatHandoff(Model):
    type: Literal["chat.handoff"] = "chat.handoff"
    v: Version = 1


class ChatHandoffCancel(Model):
    """The citizen withdraws a hand-off request that nobody has taken yet ("Anfrage zurückziehen")."""

    type: Literal["chat.handoff_cancel"] = "chat.handoff_cancel"
    v: Version = 1


class ChatCallback(Model):
    """Nobody is in the chat: the citizen leaves a callback or contact request for staff (kept on the broker)."""

    type: Literal["chat.callback"] = "chat.callback"
    v: Version = 1
    name: str = Field(min_length=1, max_length=80)
    contact: str = Field(min_length=3, max_length=120)  # phone number or e-mail address
    question: str = Field(default="", max_length=MAX_TEXT_CHARS)


ClientFrame = Annotated[
    ChatSend | ChatFeedback | ChatHandoff | ChatHandoffCancel | ChatCallback, Field(discriminator="type")
]


# ---------------------------------------------------------------- chat, gateway -> client / broker
class ChatSession(Model):
    type: Literal["chat.session"] = "chat.session"
    v: Version = 1
    session: str
    resumed: bool = False


class ChatUser(Model):
    """What the citizen wrote; published to ``chat:{session}`` so staff and history see it."""

    type: Literal["chat.user"] = "chat.user"
    v: Version = 1
    id: str
    session: str
    text: str
    payload: str | None = None
    ts: float = 0.0


class ChatReply(Model):
    type: Literal["chat.reply"] = "chat.reply"
    v: Version = 1
    id: str
    session: str
    sender: Literal["bot", "staff", "system"] = "bot"
    kind: ReplyKind = "answer"
    text: str = ""
    answer_easy: str | None = None
    # The editors' summary, shown before "Mehr dazu" (null: the widget shows the answer's first two
    # sentences), and their link buttons (empty: the widget derives "Termin buchen" / "Online-Antrag").
    summary: str | None = None
    actions: tuple[Action, ...] = ()
    topic: str | None = None
    title: str | None = None
    sources: tuple[Source, ...] = ()
    buttons: tuple[Button, ...] = ()
    confidence: float | None = None
    last_reviewed: str | None = None
    office: Office | None = None
    # For a question in another language: its language (en, tr, uk, ru, ar) and one line in it saying that
    # answers are given in German; show it first, marked with `lang` for screen readers.
    language: str | None = None
    language_note: str | None = None
    # An answer to one aspect of the topic (fees, documents, office, hours, duration, deadline, online):
    # `text` is that aspect only, and a button "Alles zu <title>" opens the whole answer.
    aspect: str | None = None
    ts: float = 0.0


class ChatStatus(Model):
    type: Literal["chat.status"] = "chat.status"
    v: Version = 1
    status: Literal[
        "handoff_waiting",
        "handoff_active",
        "handoff_timeout",
        "handoff_ended",
        "handoff_unavailable",  # nobody in the staff console: the request was not queued, text says how else
        "handoff_cancelled",  # the citizen withdrew the request
    ]
    text: str
    session: str | None = None
    # handoff_waiting only: place in the staff queue (1: next) and seconds until the request times out.
    position: int | None = Field(default=None, ge=1)
    timeout_s: float | None = None
    ts: float = 0.0


class ChatAvailability(Model):
    """Sent on connect: whether a person can take a hand-off now, before the citizen asks (live only)."""

    type: Literal["chat.availability"] = "chat.availability"
    v: Version = 1
    staff_online: bool
    waiting: int = Field(default=0, ge=0)  # conversations already waiting for staff


class ChatWaiting(Model):
    """The question is queued behind others (many at once): it will be answered, ``position`` says when.

    Live only (published with ``durable=False``): it is not part of the stored conversation.
    """

    type: Literal["chat.waiting"] = "chat.waiting"
    v: Version = 1
    session: str
    position: int = Field(ge=1)  # 1: this question is next
    text: str
    ts: float = 0.0


class ChatTyping(Model):
    """A staff member is typing in this conversation (broker topic ``chat:{session}``, live only).

    Sent at most every ``TYPING_INTERVAL_S`` seconds while staff type; the widget shows "… schreibt" until a
    staff message arrives or no new ``chat.typing`` came for a few seconds."""

    type: Literal["chat.typing"] = "chat.typing"
    v: Version = 1
    session: str
    name: str | None = None  # the staff member's name, as their messages show it
    ts: float = 0.0


ChatEvent = Annotated[ChatUser | ChatReply | ChatStatus, Field(discriminator="type")]


class ChatHistory(Model):
    """Sent once after ``chat.session`` when a session with earlier messages is resumed."""

    type: Literal["chat.history"] = "chat.history"
    v: Version = 1
    session: str
    messages: tuple[ChatEvent, ...] = ()


class ChatRequest(Model):
    """Body of ``POST /api/chat``."""

    session: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    payload: str | None = Field(default=None, max_length=MAX_PAYLOAD_CHARS)


class ChatResponse(Model):
    """Answer of ``POST /api/chat``."""

    session: str
    replies: tuple[ChatReply, ...] = ()
