"""The loaded content of one municipality, as the rest of the code sees it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content.schema import AspectsFile, Municipality, Office, Topic

__all__ = ["Content"]


@dataclass(frozen=True, slots=True)
class Content:
    """Validated content: municipality, offices and topics (both sorted by id), and the aspect phrasings
    (``aspects.yml``; ``None`` when the folder has none: the assistant then answers whole topics only)."""

    root: Path
    municipality: Municipality
    offices: tuple[Office, ...]
    topics: tuple[Topic, ...]
    aspects: AspectsFile | None = None

    def office(self, office_id: str) -> Office:
        for office in self.offices:
            if office.id == office_id:
                return office
        raise KeyError(office_id)

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)
