"""Subtitle frames, gateway -> viewer (broker topic ``subtitles:{stream}``)."""

from __future__ import annotations

from typing import Literal

from channels.messages.base import Model, Version

__all__ = ["SubtitleCue", "SubtitlePartial", "SubtitleStream"]


class SubtitleCue(Model):
    type: Literal["subtitle.cue"] = "subtitle.cue"
    v: Version = 1
    stream: str
    seq: int
    start: float
    end: float
    lines: tuple[str, ...]
    id: str | None = None


class SubtitlePartial(Model):
    type: Literal["subtitle.partial"] = "subtitle.partial"
    v: Version = 1
    stream: str
    text: str


class SubtitleStream(Model):
    type: Literal["subtitle.stream"] = "subtitle.stream"
    v: Version = 1
    stream: str
    state: Literal["started", "ended", "error"]
    detail: str | None = None
    # Unix time (seconds) of the stream's second 0, from the livestream's EXT-X-PROGRAM-DATE-TIME: a player
    # that knows the wall-clock time of its picture shows each cue when its words are spoken there.
    origin: float | None = None
