"""The broker: how cues and chat events travel between the ASR service, gateway instances and clients.

One interface, two implementations:

* :class:`MemoryBroker` (``memory://`` or ``None``): in-process, the default; a single instance runs with
  nothing else installed. History is a bounded ring per topic.
* :class:`channels.redis_broker.RedisBroker` (``redis://...``): Redis Streams for durable history
  (``XADD ... MAXLEN ~``) and pub/sub for live delivery, so several gateway instances share topics.

Message ids look like Redis Stream ids, ``"<ms>-<seq>"``, and grow monotonically per topic; a subscriber
that passes ``since=<last id it saw>`` gets everything durable after it, then live events, with no gap and
no duplicate. Non-durable messages (``durable=False``, e.g. subtitle partials) are delivered live only.

Usage::

    broker = broker_from_url(url)
    msg_id = await broker.publish("subtitles:rat", cue)
    async with broker.subscribe("subtitles:rat", replay=50) as events:
        async for envelope in events:
            ...
    await broker.aclose()
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from channels.errors import BrokerError, ConfigError
from channels.messages import BrokerMessage

__all__ = [
    "Broker",
    "Envelope",
    "MemoryBroker",
    "broker_from_url",
    "id_after",
    "parse_id",
]

log = logging.getLogger(__name__)

DEFAULT_HISTORY = 1000
DEFAULT_CHAT_RETENTION_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message as delivered by the broker: its id, its topic, the message, and whether it is stored."""

    id: str
    topic: str
    message: BrokerMessage
    durable: bool = True


def parse_id(msg_id: str) -> tuple[int, int]:
    """``"1700000000000-3"`` -> ``(1700000000000, 3)``; raises :class:`BrokerError` for anything else."""
    ms, sep, seq = msg_id.partition("-")
    try:
        return int(ms), int(seq) if sep else 0
    except ValueError as exc:
        raise BrokerError(f"message id {msg_id!r} is not of the form '<ms>-<seq>'") from exc


def id_after(a: str, b: str | None) -> bool:
    """True when id ``a`` comes strictly after ``b`` (``None`` means "before everything")."""
    return b is None or parse_id(a) > parse_id(b)


class Broker(abc.ABC):
    """Publish/subscribe with per-topic history. Topics: ``subtitles:{stream}``, ``chat:{session}``,
    ``handoff``."""

    @abc.abstractmethod
    async def publish(self, topic: str, message: BrokerMessage, *, durable: bool = True) -> str:
        """Send ``message`` to every subscriber of ``topic``; keep it in history when ``durable``."""

    @abc.abstractmethod
    def subscribe(
        self, topic: str, *, since: str | None = None, replay: int = 0
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Envelope]]:
        """Async context manager yielding an iterator of envelopes.

        First the stored history: everything after ``since`` when given, else the last ``replay``
        messages; then live messages. Durable messages are never delivered twice or skipped, also
        across a reconnect of the underlying transport.
        """

    @abc.abstractmethod
    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        """The last ``count`` durable messages of ``topic``, oldest first."""

    async def ping(self) -> bool:
        """True when the broker is reachable (for readiness checks)."""
        return True

    async def delete(self, topic: str) -> None:  # noqa: B027 - optional for implementations
        """Forget a topic's history (retention of chat logs)."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release connections; subscribers see their iterators end."""


@dataclass(slots=True, eq=False)
class _Subscriber:
    queue: asyncio.Queue[Envelope | None]
    lagged: bool = False


@dataclass(slots=True)
class _Topic:
    ring: deque[Envelope]
    subscribers: set[_Subscriber] = field(default_factory=set)
    updated: float = 0.0


class MemoryBroker(Broker):
    """In-process broker: a bounded history ring per topic and one bounded queue per subscriber.

    A subscriber whose queue overflows (it stopped reading) is marked lagged; when it reads again it
    re-syncs from the ring from its last seen id, so the publisher never waits for it.
    """

    def __init__(
        self,
        *,
        history_size: int = DEFAULT_HISTORY,
        queue_size: int = 10_000,
        retention: dict[str, int] | None = None,
    ) -> None:
        """``retention`` maps topic prefixes to seconds after the last publish when an unsubscribed
        topic is forgotten (default: ``chat:`` topics after 24 h), so memory does not grow forever."""
        if history_size < 1 or queue_size < 1:
            raise ConfigError("MemoryBroker needs history_size >= 1 and queue_size >= 1")
        self._history_size = history_size
        self._queue_size = queue_size
        self._retention = dict(retention if retention is not None else {"chat:": DEFAULT_CHAT_RETENTION_S})
        self._publishes = 0
        self._topics: dict[str, _Topic] = {}
        self._last = (0, 0)
        self._closed = False

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(ring=deque(maxlen=self._history_size))
        return topic

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        last_ms, last_seq = self._last
        self._last = (ms, 0) if ms > last_ms else (last_ms, last_seq + 1)
        return f"{self._last[0]}-{self._last[1]}"

    async def publish(self, topic: str, message: BrokerMessage, *, durable: bool = True) -> str:
        if self._closed:
            raise BrokerError(f"publish to {topic!r} on a closed MemoryBroker")
        msg_id = self._next_id()
        envelope = Envelope(id=msg_id, topic=topic, message=message, durable=durable)
        state = self._topic(topic)
        state.updated = time.monotonic()
        if durable:
            state.ring.append(envelope)
        self._publishes += 1
        if self._publishes % 1000 == 0:
            self._expire(state.updated)
        for sub in state.subscribers:
            if sub.lagged:
                continue
            try:
                sub.queue.put_nowait(envelope)
            except asyncio.QueueFull:
                sub.lagged = True
                log.warning("broker.subscriber.lagged topic=%s", topic)
        return msg_id

    def _replay(self, topic: str, since: str | None, replay: int) -> list[Envelope]:
        ring = list(self._topic(topic).ring)
        if since is not None:
            return [env for env in ring if id_after(env.id, since)]
        return ring[-replay:] if replay > 0 else []

    @contextlib.asynccontextmanager
    async def subscribe(
        self, topic: str, *, since: str | None = None, replay: int = 0
    ) -> AsyncIterator[AsyncIterator[Envelope]]:
        if self._closed:
            raise BrokerError(f"subscribe to {topic!r} on a closed MemoryBroker")
        state = self._topic(topic)
        sub = _Subscriber(queue=asyncio.Queue(maxsize=self._queue_size))
        backlog = self._replay(topic, since, replay)
        state.subscribers.add(sub)
        try:
            yield self._iterate(topic, sub, backlog)
        finally:
            state.subscribers.discard(sub)

    async def _iterate(self, topic: str, sub: _Subscriber, backlog: list[Envelope]) -> AsyncIterator[Envelope]:
        last: str | None = None
        for env in backlog:
            last = env.id
            yield env
        while True:
            if sub.lagged:
                # Re-sync from the ring: everything durable after the last id we delivered.
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                sub.lagged = False
                for env in self._replay(topic, last, 0) if last else list(self._topic(topic).ring):
                    last = env.id
                    yield env
                continue
            item = await sub.queue.get()
            if item is None:
                return
            if item.durable and last is not None and not id_after(item.id, last):
                continue
            last = item.id
            yield item

    def _expire(self, now: float) -> None:
        for name, state in list(self._topics.items()):
            ttl = next((t for prefix, t in self._retention.items() if name.startswith(prefix)), 0)
            if ttl and not state.subscribers and now - state.updated > ttl:
                del self._topics[name]

    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        ring = list(self._topics[topic].ring) if topic in self._topics else []
        return ring[-count:] if count > 0 else []

    async def delete(self, topic: str) -> None:
        state = self._topics.get(topic)
        if state is not None:
            state.ring.clear()

    async def aclose(self) -> None:
        self._closed = True
        for state in self._topics.values():
            for sub in state.subscribers:
                if sub.queue.full():
                    sub.queue.get_nowait()  # make room for the end marker
                sub.queue.put_nowait(None)


def broker_from_url(
    url: str | None,
    *,
    history_size: int = DEFAULT_HISTORY,
    chat_retention_s: int = DEFAULT_CHAT_RETENTION_S,
    pool_size: int = 50,
    pool_timeout_s: float = 10.0,
) -> Broker:
    """``None``/``"memory://"`` -> :class:`MemoryBroker`; ``redis://`` or ``rediss://`` -> RedisBroker.

    ``chat_retention_s``: chat topics (``chat:*``) are deleted this long after their last message.
    ``pool_size``, ``pool_timeout_s``: Redis command connections, and how long a command waits for a free one.
    """
    retention = {"chat:": chat_retention_s}
    if url is None or url in {"", "memory://", "memory"}:
        return MemoryBroker(history_size=history_size, retention=retention)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from channels.redis_broker import RedisBroker  # imported lazily: redis is an adapter

        return RedisBroker(
            url,
            history_size=history_size,
            retention=retention,
            max_connections=pool_size,
            pool_timeout_s=pool_timeout_s,
        )
    raise ConfigError(
        f"broker URL {url!r} is not supported; use 'memory://' (single instance) or 'redis://host:6379/0'"
        " (set RATHAUS_BROKER_URL)"
    )
