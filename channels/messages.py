"""Every message that crosses the channel layer, as pydantic v2 models.

Each model carries a ``type`` discriminator and ``v`` (schema version, currently 1). The protocol for
embedders is described in docs/protocol.md and exported as JSON Schema with ``rathaus gateway schema``.

Groups:

* chat, client -> gateway: ``chat.send``, ``chat.feedback``, ``chat.handoff``, ``chat.handoff_cancel``,
  ``chat.callback``
* chat, gateway -> client: ``chat.session``, ``chat.history``, ``chat.reply``, ``chat.status``,
  ``chat.waiting``, ``chat.availability``, ``error``
* chat events on the broker topic ``chat:{session}``: ``chat.user`` (what the citizen wrote),
  ``chat.reply``, ``chat.status``; ``chat.waiting`` and ``citizen.presence`` travel live only (not stored)
* callback requests on the broker topic ``callbacks``: ``callback.event``
* hand-off queue on the broker topic ``handoff``: ``handoff.event``; staff presence on ``presence``:
  ``staff.presence`` (live only)
* subtitles, gateway -> viewer (broker topic ``subtitles:{stream}``): ``subtitle.cue``,
  ``subtitle.partial``, ``subtitle.stream``
* staff console: staff -> gateway ``staff.take``, ``staff.send``, ``staff.release``, ``staff.callback_done``;
  gateway -> staff ``staff.queue`` (once per connection), then ``staff.update`` (one conversation
  changed), ``staff.message``, ``staff.callbacks`` (on connect and after each change), ``error``
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from channels.errors import FrameTooLarge, InvalidFrame, InvalidJson, UnknownType

__all__ = [
    "MAX_FRAME_BYTES",
    "MAX_PAYLOAD_CHARS",
    "MAX_TEXT_CHARS",
    "SCHEMA_VERSION",
    "Address",
    "BrokerMessage",
    "Button",
    "ChatEvent",
    "ChatFeedback",
    "CallbackEvent",
    "ChatAvailability",
    "ChatCallback",
    "CitizenPresence",
    "ChatHandoff",
    "ChatHandoffCancel",
    "ChatHistory",
    "ChatReply",
    "ChatRequest",
    "ChatResponse",
    "ChatSend",
    "ChatSession",
    "ChatStatus",
    "ChatUser",
    "ChatWaiting",
    "ClientFrame",
    "ErrorFrame",
    "HandoffEvent",
    "Message",
    "Office",
    "ReplyKind",
    "Source",
    "StaffCallback",
    "StaffCallbackDone",
    "StaffCallbacks",
    "StaffConversation",
    "StaffFrame",
    "StaffLogin",
    "StaffLoginMethods",
    "StaffLoginRequest",
    "StaffMessage",
    "StaffPresence",
    "StaffQueue",
    "StaffRelease",
    "StaffSend",
    "StaffTake",
    "StaffUpdate",
    "SubtitleCue",
    "SubtitlePartial",
    "SubtitleStream",
    "json_schema",
    "parse_broker_message",
    "parse_chat_request",
    "parse_client_frame",
    "parse_staff_frame",
]

SCHEMA_VERSION = 1
MAX_TEXT_CHARS = 2000
MAX_PAYLOAD_CHARS = 1000
MAX_ID_CHARS = 128
# Limits are on characters after decoding; the byte limit before decoding (``RATHAUS_MAX_MSG_BYTES``) must
# let through the longest valid frame in its longest spelling: every character of text and payload as a
# ``\uXXXX\uXXXX`` surrogate pair (12 bytes), plus the rest of the frame.
MAX_FRAME_BYTES = 12 * (MAX_TEXT_CHARS + MAX_PAYLOAD_CHARS) + 4096

ReplyKind = Literal[
    "answer",
    "clarify",
    "disclosure",
    "out_of_scope",
    "handoff",
    "bot_challenge",
    "smalltalk",
    "staff",
    "unavailable",
    "info",
]
Version = Literal[1]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Lenient(BaseModel):
    """Nested data that comes from Rasa's custom payloads: unknown fields are ignored, not fatal."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# ---------------------------------------------------------------- shared parts
class Source(_Lenient):
    title: str
    url: str


class Button(_Lenient):
    title: str
    payload: str


class Address(_Lenient):
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None


class Office(_Lenient):
    """The responsible office, as the content index has it (hours as ``[["08:00","12:00"], ...]``)."""

    id: str | None = None
    name: str | None = None
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    hours: dict[str, list[list[str]]] | None = None
    notes: str | None = None
    appointment_url: str | None = None


# ---------------------------------------------------------------- chat, client -> gateway
class ChatSend(_Model):
    type: Literal["chat.send"] = "chat.send"
    v: Version = 1
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    payload: str | None = Field(default=None, max_length=MAX_PAYLOAD_CHARS)


class ChatFeedback(_Model):
    type: Literal["chat.feedback"] = "chat.feedback"
    v: Version = 1
    message_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    rating: Literal["up", "down"]


class ChatHandoff(_Model):
    type: Literal["chat.handoff"] = "chat.handoff"
    v: Version = 1


class ChatHandoffCancel(_Model):
    """The citizen withdraws a hand-off request that nobody has taken yet ("Anfrage zurückziehen")."""

    type: Literal["chat.handoff_cancel"] = "chat.handoff_cancel"
    v: Version = 1


class ChatCallback(_Model):
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
class ChatSession(_Model):
    type: Literal["chat.session"] = "chat.session"
    v: Version = 1
    session: str
    resumed: bool = False


class ChatUser(_Model):
    """What the citizen wrote; published to ``chat:{session}`` so staff and history see it."""

    type: Literal["chat.user"] = "chat.user"
    v: Version = 1
    id: str
    session: str
    text: str
    payload: str | None = None
    ts: float = 0.0


class ChatReply(_Model):
    type: Literal["chat.reply"] = "chat.reply"
    v: Version = 1
    id: str
    session: str
    sender: Literal["bot", "staff", "system"] = "bot"
    kind: ReplyKind = "answer"
    text: str = ""
    answer_easy: str | None = None
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


class ChatStatus(_Model):
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


class ChatAvailability(_Model):
    """Sent on connect: whether a person can take a hand-off now, before the citizen asks (live only)."""

    type: Literal["chat.availability"] = "chat.availability"
    v: Version = 1
    staff_online: bool
    waiting: int = Field(default=0, ge=0)  # conversations already waiting for staff


class ChatWaiting(_Model):
    """The question is queued behind others (many at once): it will be answered, ``position`` says when.

    Live only (published with ``durable=False``): it is not part of the stored conversation.
    """

    type: Literal["chat.waiting"] = "chat.waiting"
    v: Version = 1
    session: str
    position: int = Field(ge=1)  # 1: this question is next
    text: str
    ts: float = 0.0


ChatEvent = Annotated[ChatUser | ChatReply | ChatStatus, Field(discriminator="type")]


class ChatHistory(_Model):
    """Sent once after ``chat.session`` when a session with earlier messages is resumed."""

    type: Literal["chat.history"] = "chat.history"
    v: Version = 1
    session: str
    messages: tuple[ChatEvent, ...] = ()


class ChatRequest(_Model):
    """Body of ``POST /api/chat``."""

    session: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    payload: str | None = Field(default=None, max_length=MAX_PAYLOAD_CHARS)


class ChatResponse(_Model):
    """Answer of ``POST /api/chat``."""

    session: str
    replies: tuple[ChatReply, ...] = ()


class ErrorFrame(_Model):
    type: Literal["error"] = "error"
    v: Version = 1
    code: str
    message: str


# ---------------------------------------------------------------- hand-off queue (broker topic "handoff")
class HandoffEvent(_Model):
    """A change of one conversation's hand-off state; every gateway instance folds these into its queue."""

    type: Literal["handoff.event"] = "handoff.event"
    v: Version = 1
    session: str
    state: Literal["waiting", "active", "timeout", "ended"]
    staff: str | None = None
    ts: float = 0.0
    origin: str | None = None  # gateway instance that proposed it (it tells the citizen)


class CitizenPresence(_Model):
    """The citizen's chat connection of a conversation routed to staff opened or closed (topic
    ``chat:{session}``, live only): staff see "Bürger hat das Gespräch verlassen" instead of a person waiting
    behind a closed tab. Never relayed to the citizen."""

    type: Literal["citizen.presence"] = "citizen.presence"
    v: Version = 1
    session: str
    present: bool
    ts: float = 0.0


class CallbackEvent(_Model):
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


class StaffPresence(_Model):
    """How many staff consoles one gateway instance holds (broker topic ``presence``, live only)."""

    type: Literal["staff.presence"] = "staff.presence"
    v: Version = 1
    instance: str
    staff: int = Field(ge=0)
    ts: float = 0.0


# ---------------------------------------------------------------- subtitles
class SubtitleCue(_Model):
    type: Literal["subtitle.cue"] = "subtitle.cue"
    v: Version = 1
    stream: str
    seq: int
    start: float
    end: float
    lines: tuple[str, ...]
    id: str | None = None


class SubtitlePartial(_Model):
    type: Literal["subtitle.partial"] = "subtitle.partial"
    v: Version = 1
    stream: str
    text: str


class SubtitleStream(_Model):
    type: Literal["subtitle.stream"] = "subtitle.stream"
    v: Version = 1
    stream: str
    state: Literal["started", "ended", "error"]
    detail: str | None = None
    # Unix time (seconds) of the stream's second 0, from the livestream's EXT-X-PROGRAM-DATE-TIME: a player
    # that knows the wall-clock time of its picture shows each cue when its words are spoken there.
    origin: float | None = None


# ---------------------------------------------------------------- staff console
class StaffTake(_Model):
    type: Literal["staff.take"] = "staff.take"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class StaffSend(_Model):
    type: Literal["staff.send"] = "staff.send"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class StaffRelease(_Model):
    type: Literal["staff.release"] = "staff.release"
    v: Version = 1
    session: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class StaffCallbackDone(_Model):
    type: Literal["staff.callback_done"] = "staff.callback_done"
    v: Version = 1
    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)


StaffFrame = Annotated[StaffTake | StaffSend | StaffRelease | StaffCallbackDone, Field(discriminator="type")]


class StaffCallback(_Model):
    id: str
    state: Literal["open", "done"]
    name: str
    contact: str
    question: str
    requested: float
    done_by: str | None = None
    done_at: float | None = None


class StaffCallbacks(_Model):
    """Every callback request the gateway holds (open ones first); sent on connect and after each change."""

    type: Literal["staff.callbacks"] = "staff.callbacks"
    v: Version = 1
    callbacks: tuple[StaffCallback, ...] = ()


class StaffLoginRequest(_Model):
    """``POST /api/staff/login`` with a per-person account (docs/protocol.md)."""

    login: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class StaffLogin(_Model):
    """Answer to a login: the ticket for ``/ws/staff?ticket=`` and the name staff act under."""

    type: Literal["staff.login"] = "staff.login"
    v: Version = 1
    ticket: str
    name: str
    expires_in_s: float


class StaffLoginMethods(_Model):
    """``GET /api/staff/login``: which logins this gateway takes (the console shows the matching form)."""

    type: Literal["staff.login_methods"] = "staff.login_methods"
    v: Version = 1
    accounts: bool
    token: bool


class StaffConversation(_Model):
    session: str
    status: Literal["waiting", "active", "timeout", "ended"]
    waiting_since: float
    staff: str | None = None
    history: tuple[ChatEvent, ...] = ()
    # waiting only: seconds until the request times out, counted when the frame was made (clock-skew free)
    timeout_s: float | None = None
    citizen_present: bool = True  # False: the citizen closed the chat (tab, connection) since asking


class StaffQueue(_Model):
    """The whole list of open conversations; sent on connect (and when the gateway rebuilt its queue)."""

    type: Literal["staff.queue"] = "staff.queue"
    v: Version = 1
    conversations: tuple[StaffConversation, ...] = ()


class StaffUpdate(_Model):
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


class StaffMessage(_Model):
    """A new message in a conversation the console shows (citizen, bot, staff or status)."""

    type: Literal["staff.message"] = "staff.message"
    v: Version = 1
    session: str
    message: ChatEvent


# ---------------------------------------------------------------- unions
BrokerMessage = Annotated[
    ChatUser
    | ChatReply
    | ChatStatus
    | ChatWaiting
    | HandoffEvent
    | CallbackEvent
    | CitizenPresence
    | StaffPresence
    | SubtitleCue
    | SubtitlePartial
    | SubtitleStream,
    Field(discriminator="type"),
]
Message = BrokerMessage  # what ``Broker.publish`` accepts

_CLIENT = TypeAdapter(ClientFrame)
_STAFF = TypeAdapter(StaffFrame)
_BROKER = TypeAdapter(BrokerMessage)
_CLIENT_TYPES = frozenset({"chat.send", "chat.feedback", "chat.handoff", "chat.handoff_cancel", "chat.callback"})
_STAFF_TYPES = frozenset({"staff.take", "staff.send", "staff.release", "staff.callback_done"})


def _load_object(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"frame is not valid JSON: {exc}; send one JSON object per text frame") from exc
    except RecursionError as exc:  # "[[[[..." thousands deep: hostile, not a frame
        raise InvalidJson("frame nests JSON too deeply; send one flat JSON object per text frame") from exc
    if not isinstance(data, dict):
        raise InvalidJson(f"frame is JSON {type(data).__name__}, expected an object with a 'type' field")
    return data


def _validate(adapter: TypeAdapter[Any], data: dict[str, Any], known: frozenset[str]) -> Any:
    kind = data.get("type")
    if kind not in known:
        raise UnknownType(f"frame type {kind!r} is not one of {sorted(known)}")
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        if any(err["type"] == "string_too_long" for err in exc.errors()):
            raise FrameTooLarge(f"{kind} frame has a field over its length limit: {exc}") from exc
        raise InvalidFrame(f"{kind} frame does not match schema v{SCHEMA_VERSION}: {exc}") from exc


def parse_client_frame(
    text: str | bytes,
) -> ChatSend | ChatFeedback | ChatHandoff | ChatHandoffCancel | ChatCallback:
    """Parse one text frame from a chat client; raises a :class:`~channels.errors.FrameError`."""
    result: ChatSend | ChatFeedback | ChatHandoff | ChatHandoffCancel | ChatCallback = _validate(
        _CLIENT, _load_object(text), _CLIENT_TYPES
    )
    return result


def parse_staff_frame(text: str | bytes) -> StaffTake | StaffSend | StaffRelease | StaffCallbackDone:
    """Parse one text frame from the staff console; raises a :class:`~channels.errors.FrameError`."""
    result: StaffTake | StaffSend | StaffRelease | StaffCallbackDone = _validate(
        _STAFF, _load_object(text), _STAFF_TYPES
    )
    return result


def parse_chat_request(text: str | bytes) -> ChatRequest:
    """Parse the body of ``POST /api/chat``; raises a :class:`~channels.errors.FrameError`."""
    data = _load_object(text)
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        if any(err["type"] == "string_too_long" for err in exc.errors()):
            raise FrameTooLarge(f"chat request has a field over its length limit: {exc}") from exc
        raise InvalidFrame(f"chat request does not match the schema: {exc}") from exc


def parse_broker_message(text: str | bytes) -> BrokerMessage:
    """Parse a message stored in or relayed by the broker (trusted, but still validated)."""
    try:
        result: BrokerMessage = _BROKER.validate_json(text)
    except ValidationError as exc:
        raise InvalidFrame(f"broker payload does not match any message type: {exc}") from exc
    return result


def json_schema() -> dict[str, Any]:
    """One JSON Schema document describing every message group (for ``rathaus gateway schema``)."""
    groups: dict[str, Any] = {
        "ClientFrame": ClientFrame,
        "ChatRequest": ChatRequest,
        "ChatResponse": ChatResponse,
        "ServerFrame": Annotated[
            ChatSession | ChatHistory | ChatReply | ChatStatus | ChatWaiting | ChatAvailability | ErrorFrame,
            Field(discriminator="type"),
        ],
        "SubtitleFrame": Annotated[SubtitleCue | SubtitlePartial | SubtitleStream, Field(discriminator="type")],
        "StaffFrame": StaffFrame,
        "StaffServerFrame": Annotated[
            StaffQueue | StaffUpdate | StaffMessage | StaffCallbacks | ErrorFrame, Field(discriminator="type")
        ],
        "StaffLoginRequest": StaffLoginRequest,
        "StaffLoginResponse": Annotated[StaffLogin | StaffLoginMethods | ErrorFrame, Field(discriminator="type")],
        "BrokerMessage": BrokerMessage,
    }
    defs: dict[str, Any] = {}
    one_of: dict[str, Any] = {}
    for name, annotation in groups.items():
        schema = TypeAdapter(annotation).json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        one_of[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rathaus.example/schema/messages.json",
        "title": "rathaus channel messages",
        "description": f"Schema version {SCHEMA_VERSION}; see docs/protocol.md.",
        "version": SCHEMA_VERSION,
        "groups": one_of,
        "$defs": defs,
    }
