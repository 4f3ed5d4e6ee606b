"""The content index that ``rathaus content build`` writes (bot/generated/content_index.json), read with json only."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["ContentIndex", "OpeningHours", "load_index", "index_path"]

ENV_VAR = "RATHAUS_CONTENT_INDEX"


class OpeningHours(NamedTuple):
    """``assistant.opening_hours`` of ``municipality.yml``: the topic answered with an office's hours."""

    topic: str
    default_office: str


class ContentIndex:
    """Read-only view of the index: municipality, offices and topics by id."""

    __slots__ = ("municipality", "offices", "topics", "content_hash", "aspects")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.municipality: dict[str, Any] = dict(data.get("municipality") or {})
        self.offices: dict[str, dict[str, Any]] = dict(data.get("offices") or {})
        self.topics: dict[str, dict[str, Any]] = dict(data.get("topics") or {})
        self.content_hash: str = str(data.get("content_hash") or "")
        # {"labels": {aspect: German name}, "examples": [...]}; None for content without aspects.yml
        self.aspects: dict[str, Any] | None = dict(data.get("aspects") or {}) or None

    def topic(self, topic_id: str) -> dict[str, Any] | None:
        return self.topics.get(topic_id)

    def office(self, office_id: str | None) -> dict[str, Any] | None:
        return self.offices.get(office_id) if office_id else None

    @property
    def city(self) -> str:
        return str(self.municipality.get("name") or "unserer Stadt")

    @property
    def examples(self) -> tuple[str, ...]:
        """``assistant.examples``: what the assistant names in its first message."""
        assistant = self.municipality.get("assistant") or {}
        return tuple(str(e) for e in assistant.get("examples") or ())

    @property
    def opening_hours(self) -> OpeningHours | None:
        """``assistant.opening_hours``, or None when the content has no opening-hours topic."""
        hours = (self.municipality.get("assistant") or {}).get("opening_hours") or {}
        if not hours.get("topic"):
            return None
        return OpeningHours(str(hours["topic"]), str(hours.get("default_office") or ""))

    @property
    def general_topics(self) -> frozenset[str]:
        """``assistant.general_topics``: topics about every service alike (booking an appointment); in a
        conversation about a service, a question about one of its aspects stays with the service."""
        assistant = self.municipality.get("assistant") or {}
        return frozenset(str(t) for t in assistant.get("general_topics") or ())

    @property
    def phone(self) -> str:
        handoff = self.municipality.get("handoff") or {}
        return str(handoff.get("phone") or self.municipality.get("phone") or "")

    @property
    def email(self) -> str:
        handoff = self.municipality.get("handoff") or {}
        return str(handoff.get("email") or self.municipality.get("email") or "")


def index_path() -> Path:
    """``$RATHAUS_CONTENT_INDEX``, else ``bot/generated/content_index.json`` next to this package."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "generated" / "content_index.json"


def load_index(path: Path | None = None) -> ContentIndex:
    """Load the index; a missing or broken file raises ``RuntimeError`` naming the fix."""
    target = path or index_path()
    try:
        with open(target, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"content index {target} not found: run `rathaus content build` (or set {ENV_VAR})"
        ) from exc
    except ValueError as exc:
        raise RuntimeError(f"content index {target} is not valid JSON ({exc}): run `rathaus content build`") from exc
    if not isinstance(data, dict) or data.get("version") != 1:
        raise RuntimeError(f"content index {target} has an unknown format: run `rathaus content build`")
    return ContentIndex(data)
