"""Which city a conversation belongs to, and that city's content index (docs/cities.md).

The gateway puts the city into every message's metadata (``{"city": "beispielhausen"}``) when the
installation serves several cities; Rasa keeps it on the user event, and the first message's metadata
also in the ``session_started_metadata`` slot (read by ``action_session_start``, which runs before the
first user event is stored). Each city's index lies in ``cities/<id>/`` next to the default index
(``rathaus content build``); a conversation without a city uses the default index. A city whose index
is missing is an error: the citizen gets the apology, never another city's facts.
Standard library only (the action server's package imports nothing from the project outside it).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .index import ContentIndex, index_path, load_index

__all__ = ["CityIndexes", "conversation_city"]

logger = logging.getLogger(__name__)

_CITY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # content.root.CITY_ID_PATTERN (other environment)


def _city(metadata: Any) -> str | None:
    city = metadata.get("city") if isinstance(metadata, Mapping) else None
    return str(city) if city else None


def conversation_city(events: Iterable[Mapping[str, Any]], session_metadata: Any = None) -> str | None:
    """The city of the latest user event that names one, else of the session's start metadata."""
    for event in reversed(list(events)):
        if event.get("event") == "user":
            city = _city(event.get("metadata"))
            if city:
                return city
    return _city(session_metadata)


class CityIndexes:
    """Content indexes by city, each reloaded when its file changes (content updates need no restart)."""

    def __init__(self, default: Path | None = None) -> None:
        self._default = default
        self._loaded: dict[Path, tuple[float, ContentIndex]] = {}
        self._lock = threading.Lock()

    def path(self, city: str | None) -> Path:
        default = self._default or index_path()
        if city is None:
            return default
        if not _CITY_RE.fullmatch(city):
            raise RuntimeError(f"the conversation names city {city!r}, which is not a city id")
        return default.parent / "cities" / city / default.name

    def get(self, city: str | None) -> ContentIndex:
        path = self.path(city)
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            mtime = -1.0
        with self._lock:
            cached = self._loaded.get(path)
            if cached is not None and cached[0] == mtime:
                return cached[1]
        if city is not None and mtime < 0:
            raise RuntimeError(f"no content index for city {city!r} at {path}: run `rathaus content build` "
                               "with RATHAUS_CITIES naming that city")
        index = load_index(path)
        with self._lock:
            self._loaded[path] = (mtime, index)
        logger.info("bot.index.loaded city=%s topics=%d path=%s", city or "-", len(index.topics), path)
        return index
