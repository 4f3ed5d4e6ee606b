"""The recordings editor's HTTP API (``/api/staff/recordings``, docs/live.md): the recordings, one
recording's subtitles with their version and edits, a text correction, and why a change was refused.

:class:`SubtitleEditEntry` is also the format of a recording's ``bearbeitung.yml`` (who, when, what)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from channels.messages.base import Model, Version

__all__ = [
    "RecordingEditRefused",
    "RecordingList",
    "RecordingSubtitleChange",
    "RecordingSubtitleEdit",
    "RecordingSubtitles",
    "RecordingSummary",
    "SubtitleCueView",
    "SubtitleEditEntry",
]

EditAction = Literal["text", "upload", "restore"]


class RecordingSummary(Model):
    id: str
    title: str
    date: dt.date
    edited: bool  # corrected at least once: an original is kept
    page: str


class RecordingList(Model):
    """``GET /api/staff/recordings``."""

    type: Literal["recording.list"] = "recording.list"
    v: Version = 1
    recordings: tuple[RecordingSummary, ...]


class SubtitleCueView(Model):
    """One cue as the editor shows it: its number (1-based, in order), times in seconds, lines."""

    number: int
    start: float
    end: float
    lines: tuple[str, ...]


class SubtitleEditEntry(Model):
    """One change: the staff account's name, when (UTC), what kind, how many cues were published."""

    by: str = Field(min_length=1, max_length=60)
    at: dt.datetime
    action: EditAction
    cues: int = Field(ge=0)


class RecordingSubtitles(Model):
    """``GET /api/staff/recordings/{id}/untertitel`` and the answer to every accepted change; ``version`` is
    also the ``ETag`` a change names in ``If-Match``; ``original`` is None until the first correction."""

    type: Literal["recording.subtitles"] = "recording.subtitles"
    v: Version = 1
    id: str
    title: str
    date: dt.date
    version: str
    cues: tuple[SubtitleCueView, ...]
    original: tuple[SubtitleCueView, ...] | None
    edits: tuple[SubtitleEditEntry, ...]


class RecordingSubtitleChange(Model):
    number: int = Field(ge=1)
    text: str = Field(max_length=500)  # the cue's new text; a line break starts its second line


class RecordingSubtitleEdit(Model):
    """``PUT /api/staff/recordings/{id}/untertitel``: new text for the cues it names."""

    type: Literal["recording.subtitle_edit"] = "recording.subtitle_edit"
    v: Version = 1
    changes: tuple[RecordingSubtitleChange, ...] = Field(min_length=1, max_length=10_000)


class RecordingEditRefused(Model):
    """A change that was not written: ``problems`` in German (HTTP 422), or someone else saved first
    (``version_conflict``, HTTP 409, with the current ``version``)."""

    type: Literal["recording.edit_refused"] = "recording.edit_refused"
    v: Version = 1
    code: Literal["rejected", "version_conflict", "version_required", "broken_files"]
    message: str
    problems: tuple[str, ...] = ()
    version: str | None = None
