"""Exceptions of the channel layer.

Hierarchy::

    ChannelError                 root of everything raised by ``channels``
    ├── FrameError               a client frame that cannot be accepted (has a machine ``code``)
    │   ├── InvalidJson          not JSON / not an object           code "invalid_json"
    │   ├── UnknownType          "type" missing or unknown          code "unknown_type"
    │   ├── InvalidFrame         fields fail validation             code "invalid_frame"
    │   └── FrameTooLarge        text or frame over the size limit  code "too_large"
    ├── BrokerError              the broker cannot publish or read
    ├── ConfigError              settings that cannot work
    ├── RasaUnavailable          (rasa_client) Rasa refused, timed out or answered an error
    └── StaffConflict            a staff action that does not fit the current state (has a ``code``)
        ├── HandoffConflict      (handoff) ... of a conversation
        └── CallbackConflict     (callbacks) ... of a callback request

``FrameError.german`` is the text that goes into the ``error`` frame a citizen sees; ``str(exc)`` is the
English operator message.
"""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "ChannelError",
    "ConfigError",
    "FrameError",
    "FrameTooLarge",
    "InvalidFrame",
    "InvalidJson",
    "StaffConflict",
    "UnknownType",
]


class ChannelError(Exception):
    """Root exception of the ``channels`` package."""


class FrameError(ChannelError):
    """A frame from a client was rejected; ``code`` and ``german`` go into the error frame."""

    code = "invalid_frame"
    german = "Die Nachricht konnte nicht verarbeitet werden."


class InvalidJson(FrameError):
    code = "invalid_json"
    german = "Die Nachricht ist kein gültiges JSON-Objekt."


class UnknownType(FrameError):
    code = "unknown_type"
    german = "Dieser Nachrichtentyp ist unbekannt."


class InvalidFrame(FrameError):
    code = "invalid_frame"
    german = "Die Nachricht hat ungültige oder fehlende Felder."


class FrameTooLarge(FrameError):
    code = "too_large"
    german = "Die Nachricht ist zu lang. Bitte fassen Sie sich kürzer."


class BrokerError(ChannelError):
    """Publishing to or reading from the broker failed."""


class ConfigError(ChannelError):
    """A setting has a value the gateway cannot work with."""


class StaffConflict(ChannelError):
    """A staff action that does not fit the current state; ``code`` and ``german`` go into the error frame."""

    def __init__(self, message: str, *, code: str, german: str) -> None:
        super().__init__(message)
        self.code = code
        self.german = german
