"""The parts every message shares: limits, the base models, and the nested data of replies (sources,
buttons, the responsible office), plus the ``error`` frame."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "MAX_FRAME_BYTES",
    "MAX_ID_CHARS",
    "MAX_PAYLOAD_CHARS",
    "MAX_TEXT_CHARS",
    "SCHEMA_VERSION",
    "Action",
    "Address",
    "Button",
    "ErrorFrame",
    "Model",
    "LenientModel",
    "Office",
    "ReplyKind",
    "Source",
    "Version",
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


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LenientModel(BaseModel):
    """Nested data that comes from Rasa's custom payloads: unknown fields are ignored, not fatal."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# ---------------------------------------------------------------- shared parts
class Source(LenientModel):
    title: str
    url: str


class Action(LenientModel):
    """A link button under an answer, from the topic's ``actions`` (https, tel: or mailto:, checked by
    ``rathaus content check``)."""

    label: str
    url: str


class Button(LenientModel):
    title: str
    payload: str


class Address(LenientModel):
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None


class Office(LenientModel):
    """The responsible office, as the content index has it (hours as ``[["08:00","12:00"], ...]``)."""

    id: str | None = None
    name: str | None = None
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    hours: dict[str, list[list[str]]] | None = None
    notes: str | None = None
    appointment_url: str | None = None


class ErrorFrame(Model):
    type: Literal["error"] = "error"
    v: Version = 1
    code: str
    message: str
