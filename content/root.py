"""Which content folder this process serves: the one resolver every service uses.

``RATHAUS_CONTENT`` names the folder (the one holding ``municipality.yml``); unset, it is the sample
municipality ``content/musterstadt``. The gateway's ``RATHAUS_CONTENT_ROOT`` and the subtitle
service's ``RATHAUS_ASR_CONTENT_ROOT`` are the names of an earlier release: still read, with a
deprecation warning, and an error when they disagree with ``RATHAUS_CONTENT`` (or with each other).
A folder that does not exist or has no ``municipality.yml`` is an error at start-up, naming the
variable and the path, so a typo never quietly serves another city's facts.

Several cities on one installation (docs/cities.md): ``RATHAUS_CITIES`` lists their content folders,
comma-separated, each ``PATH`` (the city id is the folder's name) or ``ID=PATH``. :func:`resolve_cities`
reads it; the first city is the default one, and :func:`resolve_content_root` returns its folder, so every
single-city service (subtitles, ``content check``, ``bot train``) serves the default city. Unset, the one
city is ``RATHAUS_CONTENT`` as above. Setting both is an error unless ``RATHAUS_CONTENT`` is the first city.

The gateway (``channels.settings``) and the subtitle service (``asr.live.settings``) take their default from
:func:`resolve_content_root`; this module imports neither of them.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from content.errors import ContentError, Problem

__all__ = [
    "CITIES_ENV",
    "CITY_ID_PATTERN",
    "City",
    "ContentRootSources",
    "CONTENT_ENV",
    "DEPRECATED_CONTENT_ENV",
    "ContentRootError",
    "find_city",
    "resolve_cities",
    "resolve_content_root",
    "sample_root",
    "valid_city_id",
]

log = logging.getLogger(__name__)

#: The one variable that names the content folder.
CONTENT_ENV = "RATHAUS_CONTENT"
#: Names of an earlier release (gateway, subtitle service): read with a warning for one release.
DEPRECATED_CONTENT_ENV: tuple[str, ...] = ("RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT")
#: The content folders of several cities served by one installation; the first is the default city.
CITIES_ENV = "RATHAUS_CITIES"
#: A city id names a URL path prefix (``/{city}/``), broker topics and a folder of the content build.
CITY_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
_CITY_ID_RE = re.compile(CITY_ID_PATTERN)


def valid_city_id(city: str | None) -> bool:
    """Whether ``city`` may name a city: lower-case letters, digits and ``-``, at most 40 characters."""
    return city is not None and _CITY_ID_RE.fullmatch(city) is not None


@dataclass(frozen=True, slots=True)
class City:
    """One city of the installation: its id (URL prefix, topic prefix) and its content folder."""

    id: str
    root: Path


class ContentRootError(ContentError):
    """The content folder setting is unusable (missing folder, no ``municipality.yml``, conflicting variables)."""

    def __init__(self, *, variable: str, path: str, message: str, hint: str) -> None:
        problem = Problem(path=path, line=0, field=variable, message=message, hint=hint)
        super().__init__([problem], f"{variable}={path}: {message}; {hint}")
        self.variable = variable
        self.path = path


def sample_root() -> Path:
    """The sample municipality shipped with the code, ``content/musterstadt``."""
    return Path(__file__).resolve().parent / "musterstadt"


def resolve_content_root(environ: Mapping[str, str] | None = None) -> Path:
    """The content folder from ``RATHAUS_CONTENT`` (or a deprecated name), else the sample municipality.

    ``environ`` defaults to ``os.environ``. Raises :class:`ContentRootError` when old and new names
    disagree, or when the folder does not exist or lacks ``municipality.yml``.
    """
    env = os.environ if environ is None else environ
    if env.get(CITIES_ENV):
        return resolve_cities(env)[0].root
    return _single_root(env)


def _single_root(env: Mapping[str, str]) -> Path:
    new = env.get(CONTENT_ENV) or None
    old = [(name, value) for name in DEPRECATED_CONTENT_ENV if (value := env.get(name))]
    for name, _value in old:
        log.warning("content.root.deprecated_variable variable=%s use=%s", name, CONTENT_ENV)
        warnings.warn(
            f"{name} is deprecated and will be removed in the next release; set {CONTENT_ENV} instead",
            DeprecationWarning,
            stacklevel=2,
        )
    named = ([(CONTENT_ENV, new)] if new else []) + old
    for name, value in named[1:]:
        first_name, first_value = named[0]
        if _same(first_value, value):
            continue
        raise ContentRootError(
            variable=first_name,
            path=first_value,
            message=f"conflicts with {name}={value}",
            hint=f"set only {CONTENT_ENV} (and unset {', '.join(n for n, _ in old)})",
        )
    if not named:
        return _checked(sample_root(), variable=CONTENT_ENV)
    variable, value = named[0]
    return _checked(Path(value).expanduser(), variable=variable)


def resolve_cities(environ: Mapping[str, str] | None = None) -> tuple[City, ...]:
    """The cities this installation serves, the default one first (module docstring).

    Raises :class:`ContentRootError` naming ``RATHAUS_CITIES`` for a bad entry, a repeated id, a folder
    without ``municipality.yml``, or a ``RATHAUS_CONTENT`` that is not the first city."""
    env = os.environ if environ is None else environ
    raw = env.get(CITIES_ENV) or ""
    if not raw.strip():
        root = _single_root(env)
        return (City(id=_folder_id(root), root=root),)
    cities: list[City] = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        named, sep, path = entry.partition("=")
        root = Path(path if sep else named).expanduser()
        city = (named.strip() if sep else _folder_id(root)).lower()
        if not valid_city_id(city):
            raise ContentRootError(
                variable=CITIES_ENV,
                path=entry,
                message=f"{city!r} is not a valid city id",
                hint="write PATH (the folder's name is the id) or ID=PATH, ids of a-z, 0-9 and '-'",
            )
        if any(c.id == city for c in cities):
            raise ContentRootError(
                variable=CITIES_ENV,
                path=entry,
                message=f"city {city!r} is listed twice",
                hint="give each city its own id (ID=PATH)",
            )
        cities.append(City(id=city, root=_checked(root, variable=CITIES_ENV)))
    single = env.get(CONTENT_ENV)
    if single and not _same(single, str(cities[0].root)):
        raise ContentRootError(
            variable=CONTENT_ENV,
            path=single,
            message=f"conflicts with {CITIES_ENV} (first city {cities[0].root})",
            hint=f"unset {CONTENT_ENV}: with {CITIES_ENV} the first city is the default",
        )
    return tuple(cities)


def find_city(city: str, environ: Mapping[str, str] | None = None, *, variable: str) -> tuple[City, bool]:
    """The city ``city`` of this installation and whether it is the default (first) one.

    ``variable`` names the setting that asked (for the error). Raises :class:`ContentRootError` for a
    city that :func:`resolve_cities` does not list, naming the ids it does list."""
    cities = resolve_cities(environ)
    for position, candidate in enumerate(cities):
        if candidate.id == city:
            return candidate, position == 0
    known = ", ".join(c.id for c in cities)
    raise ContentRootError(
        variable=variable,
        path=city,
        message=f"no city {city!r} on this installation (cities: {known})",
        hint=f"pick one of them, or add the city's content folder to {CITIES_ENV}",
    )


def _folder_id(root: Path) -> str:
    return root.resolve().name.lower()


def _same(a: str, b: str) -> bool:
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def _checked(root: Path, *, variable: str) -> Path:
    hint = f"set {variable} to the folder that holds municipality.yml, offices.yml and topics/"
    if not root.is_dir():
        raise ContentRootError(variable=variable, path=str(root), message="no such folder", hint=hint)
    if not (root / "municipality.yml").is_file():
        raise ContentRootError(variable=variable, path=str(root), message="has no municipality.yml", hint=hint)
    return root


class ContentRootSources:
    """Mixin for settings classes (``common.settings.RathausSettings``) whose ``content_root`` defaults to
    :func:`resolve_content_root`: their environment and ``.env`` sources leave that field out, so that
    ``RATHAUS_CONTENT_ROOT`` or ``RATHAUS_ASR_CONTENT_ROOT`` are read once, by the resolver (with its
    warning and its checks), and not a second time by pydantic-settings. Keyword arguments (CLI flags)
    still set the field."""

    resolved_elsewhere: ClassVar[Mapping[str, str]] = {"content_root": CONTENT_ENV}
