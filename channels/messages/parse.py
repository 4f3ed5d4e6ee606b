"""The unions over all message groups, the parsers for what arrives from outside (frames, request bodies,
broker payloads) and the exported JSON Schema."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from channels.errors import FrameTooLarge, InvalidFrame, InvalidJson, UnknownType
from channels.messages.base import SCHEMA_VERSION, ErrorFrame
from channels.messages.chat import (
    ChatAvailability,
    ChatCallback,
    ChatFeedback,
    ChatHandoff,
    ChatHandoffCancel,
    ChatHistory,
    ChatReply,
    ChatRequest,
    ChatResponse,
    ChatSend,
    ChatSession,
    ChatStatus,
    ChatTyping,
    ChatUser,
    ChatWaiting,
    ClientFrame,
)
from channels.messages.events import CallbackEvent, CitizenPresence, HandoffEvent, StaffPresence
from channels.messages.recordings import RecordingEditRefused, RecordingList, RecordingSubtitleEdit, RecordingSubtitles
from channels.messages.staff import (
    StaffCallbackDone,
    StaffCallbacks,
    StaffFrame,
    StaffLogin,
    StaffLoginMethods,
    StaffLoginRequest,
    StaffMessage,
    StaffQueue,
    StaffRelease,
    StaffSend,
    StaffTake,
    StaffTyping,
    StaffUpdate,
)
from channels.messages.subtitles import SubtitleCue, SubtitlePartial, SubtitleStream

__all__ = [
    "BrokerMessage",
    "Message",
    "json_schema",
    "parse_broker_message",
    "parse_chat_request",
    "parse_client_frame",
    "parse_staff_frame",
]


BrokerMessage = Annotated[
    ChatUser
    | ChatReply
    | ChatStatus
    | ChatWaiting
    | ChatTyping
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
_STAFF_TYPES = frozenset({"staff.take", "staff.send", "staff.typing", "staff.release", "staff.callback_done"})


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


def parse_staff_frame(text: str | bytes) -> StaffTake | StaffSend | StaffTyping | StaffRelease | StaffCallbackDone:
    """Parse one text frame from the staff console; raises a :class:`~channels.errors.FrameError`."""
    result: StaffTake | StaffSend | StaffTyping | StaffRelease | StaffCallbackDone = _validate(
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
            ChatSession
            | ChatHistory
            | ChatReply
            | ChatStatus
            | ChatWaiting
            | ChatTyping
            | ChatAvailability
            | ErrorFrame,
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
        "RecordingRequest": RecordingSubtitleEdit,
        "RecordingResponse": Annotated[
            RecordingList | RecordingSubtitles | RecordingEditRefused, Field(discriminator="type")
        ],
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
