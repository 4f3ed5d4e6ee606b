"""In-process broker (``memory://``, the default): a single instance runs with nothing else installed.

History is a bounded ring per topic; each subscriber has a bounded queue (:class:`Subscription`). A
subscriber whose queue overflows is marked lagged and re-syncs from the ring after its cursor when it
reads again, so the publisher never waits for it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

from channels.broker.base import (
    DEFAULT_CHAT_RETENTION_S,
    DEFAULT_HISTORY,
    Broker,
    Envelope,
    Subscription,
    id_after,
)
from channels.errors import BrokerError, ConfigError
from channels.messages import BrokerMessage

__all__ = ["MemoryBroker"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Topic:
    ring: deque[Envelope]
    subscribers: set[Subscription] = field(default_factory=set)
    updated: float = 0.0


class MemoryBroker(Broker):
    """In-process broker: a bounded history ring per topic and one bounded queue per subscriber."""

    def __init__(
        self,
        *,
        history_size: int = DEFAULT_HISTORY,
        queue_size: int = 10_000,
        retention: dict[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``retention`` maps topic prefixes to seconds after the last publish when an unsubscribed
        topic is forgotten (default: ``chat:`` topics after 24 h), so memory does not grow forever.
        ``clock`` (seconds, monotonic) measures that age; tests pass their own."""
        if history_size < 1 or queue_size < 1:
            raise ConfigError("MemoryBroker needs history_size >= 1 and queue_size >= 1")
        self._history_size = history_size
        self._queue_size = queue_size
        self._retention = dict(retention if retention is not None else {"chat:": DEFAULT_CHAT_RETENTION_S})
        self._clock = clock
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
        state.updated = self._clock()
        if durable:
            state.ring.append(envelope)
        self._publishes += 1
        if self._publishes % 1000 == 0:
            self._expire(state.updated)
        for sub in state.subscribers:
            if not sub.lagged and not sub.offer(envelope):
                log.warning("broker.subscriber.lagged topic=%s", topic)
        return msg_id

    @contextlib.asynccontextmanager
    async def _listen(self, topic: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise BrokerError(f"subscribe to {topic!r} on a closed MemoryBroker")
        state = self._topic(topic)
        sub = Subscription(self._queue_size)
        state.subscribers.add(sub)
        try:
            yield sub
        finally:
            state.subscribers.discard(sub)

    def _expire(self, now: float) -> None:
        for name, state in list(self._topics.items()):
            ttl = next((t for prefix, t in self._retention.items() if name.startswith(prefix)), 0)
            if ttl and not state.subscribers and now - state.updated > ttl:
                del self._topics[name]

    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        ring = list(self._topics[topic].ring) if topic in self._topics else []
        return ring[-count:] if count > 0 else []

    async def history_after(self, topic: str, since: str | None) -> list[Envelope]:
        ring = list(self._topics[topic].ring) if topic in self._topics else []
        return [env for env in ring if id_after(env.id, since)]

    async def delete(self, topic: str) -> None:
        state = self._topics.get(topic)
        if state is not None:
            state.ring.clear()

    async def remove(self, topic: str, ids: Iterable[str]) -> None:
        state = self._topics.get(topic)
        gone = set(ids)
        if state is not None and gone:
            kept = [envelope for envelope in state.ring if envelope.id not in gone]
            state.ring.clear()
            state.ring.extend(kept)

    async def aclose(self) -> None:
        self._closed = True
        for state in self._topics.values():
            for sub in state.subscribers:
                sub.end()
