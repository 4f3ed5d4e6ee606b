"""Client for Rasa's REST webhook (``POST {rasa_url}/webhooks/rest/webhook``), and the readiness checks of
Rasa and its action server.

The webhook is a channel, open without a token; Rasa's HTTP API (``/status``, ``/conversations/...``) needs
the token Rasa was started with (``--auth-token``, ``RATHAUS_RASA_TOKEN``)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from channels.errors import ChannelError

__all__ = ["RasaClient", "RasaUnavailable", "RasaUnreachable"]

log = logging.getLogger(__name__)


class RasaUnavailable(ChannelError):
    """Rasa did not answer in time, refused the connection, or answered with an error."""


class RasaUnreachable(RasaUnavailable):
    """No connection to Rasa: refused, not resolvable, connect timeout, or dropped before answering.

    Only these count toward the circuit breaker: a slow or failing answer means Rasa is there and busy.
    """


# Exceptions that mean "Rasa is not there" (the breaker's business), not "Rasa is slow or unhappy".
_UNREACHABLE = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.ServerDisconnectedError)


class RasaClient:
    """One shared ``aiohttp.ClientSession``; every call has a total timeout (default 30 s: a call that
    reached Rasa is not abandoned while Rasa still works on it, only a hung Rasa hits the limit)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 30.0,
        token: str | None = None,
        action_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        parts = urlsplit(action_url) if action_url else None
        self.action_health_url = f"{parts.scheme}://{parts.netloc}/health" if parts and parts.netloc else None
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(2.0, timeout_s))
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, connector=aiohttp.TCPConnector(limit=200))
        return self._session

    async def send(self, sender: str, message: str, *, city: str | None = None) -> list[Any]:
        """Send one citizen message; returns Rasa's list of bot messages (raw JSON, mapped by ``chat``).

        ``city``: the city the conversation belongs to, as the message's ``metadata.city`` (Rasa answers
        from that city's content index, docs/cities.md); None on a single-city installation."""
        url = f"{self.base_url}/webhooks/rest/webhook"
        body: dict[str, Any] = {"sender": sender, "message": message}
        if city is not None:
            body["metadata"] = {"city": city}
        try:
            async with self._client().post(url, json=body) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa at {url} answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except _UNREACHABLE as exc:
            raise RasaUnreachable(
                f"Rasa at {url} not reachable: {type(exc).__name__}: {exc}; is 'rathaus bot run' up (RATHAUS_RASA_URL)?"
            ) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa at {url} not usable: {type(exc).__name__}: {exc}") from exc
        if not isinstance(data, list):
            raise RasaUnavailable(f"Rasa at {url} answered {type(data).__name__}, expected a JSON list")
        return data

    async def ping(self) -> bool:
        """Readiness of Rasa: with the API token, ``/status`` reports a loaded model; without it, ``GET /``
        answers."""
        timeout = aiohttp.ClientTimeout(total=1.5)
        try:
            if self._token is None:
                async with self._client().get(self.base_url + "/", timeout=timeout) as r:
                    return r.status < 500
            async with self._client().get(
                self.base_url + "/status", params={"token": self._token}, timeout=timeout
            ) as r:
                if r.status == 401 or r.status == 403:
                    log.warning("chat.rasa.token_refused status=%d: RATHAUS_RASA_TOKEN differs from Rasa's", r.status)
                if r.status != 200:
                    return False
                status = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False
        return isinstance(status, dict) and bool(status.get("model_id") or status.get("model_file"))

    async def ping_actions(self) -> bool | None:
        """Readiness of the action server (``/health``); None when its address is not configured."""
        if self.action_health_url is None:
            return None
        try:
            async with self._client().get(self.action_health_url, timeout=aiohttp.ClientTimeout(total=1.5)) as r:
                if r.status != 200:
                    return False
                health = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False
        return isinstance(health, dict) and health.get("status") == "ok"

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
