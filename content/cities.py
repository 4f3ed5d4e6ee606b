"""The content build of an installation that serves several cities (docs/cities.md).

One Rasa model serves every city: it is trained on the default city's content (the first of
``RATHAUS_CITIES``), built into the Rasa project as for a single city. Every city's content index and
retrieval vectors also go to ``<project>/generated/cities/<id>/``, where the retrieval component and the action
server pick them by the city the gateway puts in each message's metadata. The vectors are cached per
text (``content.embeddings``), so a build of an unchanged city embeds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from content.compiler import INDEX_PATH, VECTORS_PATH, BuildResult, build, write_atomically
from content.embeddings import Embed, default_embedder
from content.root import CITIES_ENV, City, resolve_cities, resolve_content_root

__all__ = ["CITIES_DIR", "build_cities", "build_installation", "city_index_dir"]

#: Folder of the per-city indexes inside the generated folder (``bot/generated/cities``).
CITIES_DIR = Path("cities")


def city_index_dir(out_dir: Path, city: str) -> Path:
    """Where the content index of ``city`` goes: ``<out_dir>/cities/<city>/`` (``out_dir``: the generated folder)."""
    return Path(out_dir) / CITIES_DIR / city


def build_cities(
    cities: Sequence[City], out_dir: Path, *, embed: Embed | None = None, today: date | None = None
) -> tuple[BuildResult, ...]:
    """Build the default city (``cities[0]``) into ``out_dir`` as :func:`content.build` does, and every
    city's index into :func:`city_index_dir`. Raises ``ContentError`` at the first city with an error;
    the cities before it are written, the default city's training data first."""
    embed = embed or default_embedder()
    first, *others = cities
    results = [build(first.root, out_dir, embed=embed, today=today)]
    copied = {relative: (Path(out_dir) / relative).read_bytes() for relative in (INDEX_PATH, VECTORS_PATH)}
    write_atomically(city_index_dir(out_dir, first.id), copied)
    for city in others:
        results.append(build(city.root, city_index_dir(out_dir, city.id), embed=embed, today=today, index_only=True))
    return tuple(results)


def build_installation(
    out_dir: Path, *, environ: Mapping[str, str] | None = None, embed: Embed | None = None, today: date | None = None
) -> tuple[BuildResult, ...]:
    """What ``rathaus content build`` and ``rathaus bot train`` build: with ``RATHAUS_CITIES`` set, every
    city (:func:`build_cities`); without, the one city of ``RATHAUS_CONTENT``, as before."""
    env = os.environ if environ is None else environ
    if not env.get(CITIES_ENV):
        return (build(resolve_content_root(env), out_dir, embed=embed, today=today),)
    return build_cities(resolve_cities(env), out_dir, embed=embed, today=today)
