"""One gateway, several cities (docs/cities.md): each city's settings, and its view of the shared broker.

``RATHAUS_CITIES`` (``content.root.resolve_cities``) lists the cities; the first is the default city.
Every city gets its own :class:`~channels.settings.GatewaySettings`: its content folder (name, phone,
e-mail, hand-off texts and branding from its ``municipality.yml``) and the per-city variables
``RATHAUS_CITY_<ID>_<FIELD>`` for :data:`PER_CITY_FIELDS` (``RATHAUS_CITY_BEISPIELHAUSEN_STAFF_TOKEN``,
``..._ALLOWED_ORIGINS``; the id in capitals, ``-`` as ``_``). The plain variables of those fields
(``RATHAUS_STAFF_TOKEN``, ``RATHAUS_ALLOWED_ORIGINS``, ``RATHAUS_CITY_PHONE`` ...) belong to the default
city only, so a single-city installation configures exactly as before; every other setting (broker,
Rasa, limits) is shared.

A city's broker topics are its own: :class:`CityBroker` puts ``{id}:`` before every topic of a city
other than the default one, whose topics stay as they were (``chat:{session}``, ``handoff``,
``presence``, ``subtitles:{stream}``). Conversations, hand-offs, staff presence and subtitles of one
city are therefore invisible to another city's services.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from channels.broker import Broker, Envelope
from channels.broker.base import Subscription
from channels.messages import BrokerMessage
from channels.settings import GatewaySettings
from common.settings import SettingsError
from content.root import CITIES_ENV, find_city, resolve_cities

__all__ = ["PER_CITY_FIELDS", "CityBroker", "CitySite", "city_sites", "city_topic_prefix", "city_variable"]

#: Settings that each city has for itself (variables ``RATHAUS_CITY_<ID>_<FIELD>``).
PER_CITY_FIELDS: tuple[str, ...] = (
    "city_name",
    "city_phone",
    "city_email",
    "handoff_unavailable_text",
    "allowed_origins",
    "staff_token",
    "staff_accounts",
    "hls_url",
    "default_stream",
    "city_colour",
    "city_logo",
)


@dataclass(frozen=True, slots=True)
class CitySite:
    """One city as the gateway serves it.

    ``path``: its URL prefix (``/beispielhausen``); ``topic_prefix``: its broker topics' prefix (empty for
    the default city); ``several``: whether the gateway serves more than one city (then Rasa is told the
    city with every message)."""

    id: str
    settings: GatewaySettings
    default: bool
    several: bool

    @property
    def path(self) -> str:
        return f"/{self.id}"

    @property
    def topic_prefix(self) -> str:
        return _topic_prefix(self.id, default=self.default)


def _topic_prefix(city: str, *, default: bool) -> str:
    # the default city's topics keep their single-city names, so one city never needs a migration
    return "" if default else f"{city}:"


def city_topic_prefix(city: str, environ: Mapping[str, str] | None = None) -> str:
    """The broker topic prefix of ``city`` on this installation (``RATHAUS_CITIES``; empty for the default
    city). Raises ``content.ContentRootError`` for a city the installation does not serve."""
    found, default = find_city(city, environ, variable="RATHAUS_ASR_CITY (or --city)")
    return _topic_prefix(found.id, default=default)


def city_variable(city: str, field: str) -> str:
    """``RATHAUS_CITY_<ID>_<FIELD>``: the variable of a per-city setting."""
    return f"RATHAUS_CITY_{city.upper().replace('-', '_')}_{field.upper()}"


def city_sites(settings: GatewaySettings, environ: Mapping[str, str] | None = None) -> tuple[CitySite, ...]:
    """The cities of this gateway, the default one first (module docstring).

    Without ``RATHAUS_CITIES``: one city, ``settings`` itself, named after its content folder.
    Raises ``content.ContentRootError`` or :class:`SettingsError`, naming the variable."""
    env = os.environ if environ is None else environ
    if not env.get(CITIES_ENV):
        return (CitySite(id=_folder_id(settings), settings=settings, default=True, several=False),)
    cities = resolve_cities(env)
    several = len(cities) > 1
    sites: list[CitySite] = []
    for position, city in enumerate(cities):
        update: dict[str, Any] = {"content_root": city.root}
        if position > 0:  # the plain variables are the default city's
            update |= {field: GatewaySettings.model_fields[field].get_default() for field in PER_CITY_FIELDS}
        update |= _city_overrides(city.id, env)
        try:
            city_settings = GatewaySettings.model_validate(settings.model_dump() | update).with_city()
        except (SettingsError, ValueError) as exc:
            raise SettingsError([f"{CITIES_ENV} city {city.id}: {exc}"]) from exc
        sites.append(CitySite(id=city.id, settings=city_settings, default=position == 0, several=several))
    return tuple(sites)


def _city_overrides(city: str, env: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for field in PER_CITY_FIELDS:
        variable = city_variable(city, field)
        value = env.get(variable)
        if field == "staff_token" and not value and env.get(f"{variable}_FILE"):
            path = env[f"{variable}_FILE"]
            try:
                with open(path, encoding="utf-8") as handle:
                    value = handle.read().rstrip("\r\n")
            except OSError as exc:
                raise SettingsError([f"{variable}_FILE: cannot read {path} ({exc.strerror})"]) from exc
        if value:
            found[field] = SecretStr(value) if field == "staff_token" else value
    return found


def _folder_id(settings: GatewaySettings) -> str:
    return settings.content_root.resolve().name.lower()


class CityBroker(Broker):
    """A city's view of the shared broker: every topic gets the city's prefix (module docstring)."""

    def __init__(self, inner: Broker, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    @property
    def _closed(self) -> bool:  # type: ignore[override]
        return self.inner._closed

    def _own(self, envelope: Envelope) -> Envelope:
        return Envelope(envelope.id, envelope.topic.removeprefix(self.prefix), envelope.message, envelope.durable)

    async def publish(self, topic: str, message: BrokerMessage, *, durable: bool = True) -> str:
        return await self.inner.publish(self.prefix + topic, message, durable=durable)

    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        return [self._own(e) for e in await self.inner.history(self.prefix + topic, count=count)]

    async def history_after(self, topic: str, since: str | None) -> list[Envelope]:
        return [self._own(e) for e in await self.inner.history_after(self.prefix + topic, since)]

    @contextlib.asynccontextmanager
    async def _listen(self, topic: str) -> AsyncIterator[Subscription]:
        async with self.inner._listen(self.prefix + topic) as subscription:
            yield subscription

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def delete(self, topic: str) -> None:
        await self.inner.delete(self.prefix + topic)

    async def remove(self, topic: str, ids: Iterable[str]) -> None:
        await self.inner.remove(self.prefix + topic, ids)

    async def aclose(self) -> None:
        """The shared broker is closed by its owner, not by a city's view."""
