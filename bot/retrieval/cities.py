"""One content index per city, one model for all (docs/cities.md).

``rathaus content build`` with ``RATHAUS_CITIES`` writes each city's content index and vectors to
``cities/<id>/`` next to the default index (``$RATHAUS_CONTENT_INDEX``). The gateway names the city in
each message's metadata (``{"city": "beispielhausen"}``); :class:`CityRetrievers` hands out that city's
:class:`Retriever`, which shares the embedder and the model's intent vectors with the others. A message
without a city is scored against the default index (a single-city installation, ``rathaus bot eval``).
A city without a built index is an error, never another city's content.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .index import IndexError_
from .retriever import Retriever

__all__ = ["CITIES_DIR", "CityRetrievers", "city_index_path", "message_city"]

CITIES_DIR = "cities"
_CITY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # content.root.CITY_ID_PATTERN (other environment)


def city_index_path(default_index: Path, city: str) -> Path:
    """``<folder of the default index>/cities/<city>/<same file name>``."""
    return Path(default_index).parent / CITIES_DIR / city / Path(default_index).name


def message_city(metadata: Any) -> str | None:
    """The city the gateway put into a message's metadata, or None."""
    city = metadata.get("city") if isinstance(metadata, Mapping) else None
    return str(city) if city else None


class CityRetrievers:
    """The default city's :class:`Retriever` and, made on first use, one per other city."""

    def __init__(self, default: Retriever) -> None:
        self.default = default
        self._cities: dict[str, Retriever] = {}
        self._lock = threading.Lock()

    def for_city(self, city: str | None) -> Retriever:
        """The retriever of ``city`` (None: the default one); :class:`IndexError_` names the fix."""
        if city is None:
            return self.default
        if not _CITY_RE.fullmatch(city):
            raise IndexError_(f"message metadata names city {city!r}, which is not a city id")
        with self._lock:
            retriever = self._cities.get(city)
            if retriever is None:
                path = city_index_path(self.default.index_path, city)
                if not path.is_file():
                    raise IndexError_(f"no content index for city {city!r} at {path}: run `rathaus content build` "
                                      "with RATHAUS_CITIES naming that city, then restart `rathaus bot run`")
                retriever = Retriever(path, self.default.embedder, intents=self.default.intents,
                                      options=self.default.options)
                self._cities[city] = retriever
        return retriever

    def cities(self) -> tuple[str, ...]:
        """The cities that have a built index next to the default one."""
        folder = Path(self.default.index_path).parent / CITIES_DIR
        if not folder.is_dir():
            return ()
        name = Path(self.default.index_path).name
        return tuple(sorted(p.name for p in folder.iterdir() if _CITY_RE.fullmatch(p.name) and (p / name).is_file()))

    def load_all(self) -> None:
        """Load every index now, so that a broken one stops Rasa at start rather than at a citizen's question."""
        self.default.content()
        for city in self.cities():
            self.for_city(city).content()
