"""The broker's contract: envelopes, message ids, the subscriber's cursor, and the :class:`Broker` base.

Message ids look like Redis Stream ids, ``"<ms>-<seq>"``, and grow monotonically per topic for durable
messages. A subscriber that passes ``since=<last id it saw>`` gets everything durable after it, then live
events, with no gap and no duplicate. Non-durable messages (``durable=False``, e.g. subtitle partials) are
delivered live only; their ids are not part of the durable order (Redis numbers them per publisher), so
they never move a subscriber's position: only durable ids do (:class:`Cursor`).

"History, then live, dedupe by id" is written once, here: :meth:`Broker.subscribe` registers a
:class:`Subscription` (live queue) first, reads the history, and :class:`Cursor` drops what the two
overlap. Implementations (``memory``, ``redis``) supply storage and live delivery only.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Final

from channels.errors import BrokerError
from channels.messages import BrokerMessage

__all__ = [
    "DEFAULT_CHAT_RETENTION_S",
    "DEFAULT_HISTORY",
    "Broker",
    "Cursor",
    "Envelope",
    "FoldMark",
    "Subscription",
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


class FoldMark:
    """How far a listener has folded one topic, so a writer can wait until its own event is folded
    (read-your-writes: an answer to a staff action reflects that action)."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._last: str | None = None

    async def mark(self, msg_id: str) -> None:
        async with self._changed:
            self._last = msg_id
            self._changed.notify_all()

    async def wait(self, msg_id: str, *, limit_s: float = 3.0) -> None:
        """Until ``msg_id`` (or a later event) is folded; gives up quietly after ``limit_s``."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._last is not None and not id_after(msg_id, self._last)),
                    limit_s,
                )


class Cursor:
    """Where one subscriber stands in a topic: the id of the last durable message it was given.

    :meth:`admit` decides for each message, from history or live, whether the subscriber gets it: durable
    messages only when they come after the position (and then they move it), non-durable ones always
    (they are live only and never stored, so they cannot have been seen before).
    """

    __slots__ = ("last",)

    def __init__(self, last: str | None = None) -> None:
        self.last = last

    def admit(self, msg_id: str, *, durable: bool) -> bool:
        if not durable:
            return True
        if self.last is not None and not id_after(msg_id, self.last):
            return False
        self.last = msg_id
        return True

    def __repr__(self) -> str:
        return f"Cursor(last={self.last!r})"


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_RESYNC: Final = _Marker("resync")  # live delivery had a gap: re-read the history after the cursor
_END: Final = _Marker("end")  # the broker closed


class Subscription:
    """One local subscriber's bounded live queue. The broker offers to it and never waits: a full queue
    marks it lagged, and the subscriber re-reads the history after its cursor when it reads again."""

    __slots__ = ("lagged", "queue")

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[Envelope | _Marker] = asyncio.Queue(maxsize=size)
        self.lagged = False

    def offer(self, envelope: Envelope) -> bool:
        """Queue a live envelope; False (and lagged from now on) when the subscriber is not keeping up."""
        if self.lagged:
            return False
        try:
            self.queue.put_nowait(envelope)
        except asyncio.QueueFull:
            self.lagged = True
            return False
        return True

    def resync(self) -> None:
        """Live delivery lost messages (a dropped connection): re-read the history on the next read."""
        self.lagged = True
        self._mark(_RESYNC)

    def end(self) -> None:
        self._mark(_END)

    def _mark(self, marker: _Marker) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # make room: the history re-read covers what is dropped
        self.queue.put_nowait(marker)

    def _drain(self) -> bool:
        """Drop what is queued (the re-read replaces it); True when the end marker was among it."""
        ended = False
        while not self.queue.empty():
            ended = self.queue.get_nowait() is _END or ended
        return ended


class Broker(abc.ABC):
    """Publish/subscribe with per-topic history. Topics: ``subtitles:{stream}``, ``chat:{session}``,
    ``handoff``.

    Implementations provide :meth:`publish`, :meth:`history`, :meth:`history_after`, :meth:`aclose` and
    :meth:`_listen` (live delivery into a :class:`Subscription`); :meth:`subscribe` is the same for all.
    """

    _closed: bool = False

    @abc.abstractmethod
    async def publish(self, topic: str, message: BrokerMessage, *, durable: bool = True) -> str:
        """Send ``message`` to every subscriber of ``topic``; keep it in history when ``durable``."""

    @abc.abstractmethod
    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        """The last ``count`` durable messages of ``topic``, oldest first."""

    @abc.abstractmethod
    async def history_after(self, topic: str, since: str | None) -> list[Envelope]:
        """Every stored durable message of ``topic`` after id ``since`` (``None``: all), oldest first."""

    @abc.abstractmethod
    def _listen(self, topic: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """Register a live subscription to ``topic`` for the duration of the context."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release connections; subscribers see their iterators end."""

    async def ping(self) -> bool:
        """True when the broker is reachable (for readiness checks)."""
        return True

    async def delete(self, topic: str) -> None:  # noqa: B027 - optional for implementations
        """Forget a topic's history (retention of chat logs)."""

    @abc.abstractmethod
    async def remove(self, topic: str, ids: Iterable[str]) -> None:
        """Delete these stored messages of ``topic`` (retention of personal data); unknown ids are ignored."""

    @contextlib.asynccontextmanager
    async def subscribe(
        self, topic: str, *, since: str | None = None, replay: int = 0
    ) -> AsyncIterator[AsyncIterator[Envelope]]:
        """Async context manager yielding an iterator of envelopes.

        First the stored history: everything after ``since`` when given, else the last ``replay``
        messages; then live messages. Durable messages are never delivered twice or skipped, also
        across a reconnect of the underlying transport.
        """
        async with self._listen(topic) as subscription:
            # Listening before reading history: anything newer arrives live and the cursor drops the overlap.
            if since is not None:
                backlog, cursor = await self.history_after(topic, since), Cursor(since)
            elif replay > 0:
                backlog, cursor = await self.history(topic, count=replay), Cursor()
            else:
                tail = await self.history(topic, count=1)
                backlog, cursor = [], Cursor(tail[-1].id if tail else None)
            yield self._follow(topic, subscription, backlog, cursor)

    async def _follow(
        self, topic: str, subscription: Subscription, backlog: Iterable[Envelope], cursor: Cursor
    ) -> AsyncIterator[Envelope]:
        for envelope in backlog:
            if cursor.admit(envelope.id, durable=envelope.durable):
                yield envelope
        while True:
            item = await subscription.queue.get()
            if item is _END:
                return
            if item is _RESYNC or subscription.lagged:
                subscription.lagged = False
                if subscription._drain():
                    return
                for envelope in await self._catch_up(topic, cursor.last):
                    if cursor.admit(envelope.id, durable=envelope.durable):
                        yield envelope
                continue
            assert isinstance(item, Envelope)
            if cursor.admit(item.id, durable=item.durable):
                yield item

    async def _catch_up(self, topic: str, last: str | None) -> list[Envelope]:
        """The history after ``last``, retried with backoff while the broker is unreachable."""
        delay = 0.1
        while not self._closed:
            try:
                return await self.history_after(topic, last)
            except BrokerError as exc:
                log.warning("broker.catch_up_failed topic=%s retry_in=%.1fs error=%s", topic, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        return []
