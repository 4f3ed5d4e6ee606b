"""Subtitle fan-out: one broker subscription per stream and instance, one bounded queue per viewer.

The subscription task reads the stream's recent history once into a ring of serialised frames, then
follows the broker live; it serialises each event once and offers the same string to every viewer's
queue with ``put_nowait``; it never awaits a viewer. A new viewer's replay comes from that ring, so 300
viewers joining at once cost one history read, not 300 (only a ``since`` older than the ring reads the
broker). A viewer is registered before the ring is read, so nothing falls between replay and live; ids
deduplicate the overlap. A viewer whose queue is full is marked overflowed and its relay task
cancelled; the WebSocket handler then closes it (1013) and it may reconnect with ``since``.

A stream "exists" (:meth:`Fanout.streams`) once the broker has any message of it: history or a live
event. Metrics label viewers by stream only for those, so anonymous viewers of made-up stream ids
cannot add series.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from channels.broker import Broker, Cursor, Envelope, id_after
from channels.messages import SubtitleCue
from channels.metrics import GatewayMetrics

__all__ = ["Fanout", "StreamViewers", "Viewer", "subtitle_frame", "topic_for"]

log = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]
Item = tuple[str, bool, str]  # (broker id, durable, serialised frame)


def topic_for(stream: str) -> str:
    return f"subtitles:{stream}"


def subtitle_frame(envelope: Envelope) -> str:
    """The JSON text a viewer gets for one envelope (cues carry their broker id for ``?since=``)."""
    message = envelope.message
    if isinstance(message, SubtitleCue) and message.id != envelope.id:
        message = message.model_copy(update={"id": envelope.id})
    return message.model_dump_json()


@dataclass(eq=False, slots=True)
class Viewer:
    stream: str
    queue: asyncio.Queue[tuple[str, bool, str]]
    overflowed: bool = False
    task: asyncio.Task[None] | None = None

    def offer(self, item: tuple[str, bool, str]) -> bool:
        if self.overflowed:
            return False
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            if self.task is not None:
                self.task.cancel()
            return False
        return True


@dataclass(eq=False, slots=True)
class _Stream:
    ring: deque[Item]
    viewers: set[Viewer] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    complete: bool = False  # the ring holds the stream's whole durable history (nothing evicted)
    live_seen: bool = False  # a live event arrived (also non-durable ones)

    def remember(self, item: Item) -> None:
        if len(self.ring) == self.ring.maxlen:
            self.complete = False
        self.ring.append(item)

    @property
    def exists(self) -> bool:
        return bool(self.ring) or self.live_seen


@dataclass(frozen=True, slots=True)
class StreamViewers:
    """Viewers of one stream on this instance; ``exists``: the broker has messages of the stream."""

    stream: str
    viewers: int
    exists: bool


class Fanout:
    def __init__(
        self,
        broker: Broker,
        *,
        queue_size: int = 256,
        replay: int = 200,
        ring: int = 1000,
        metrics: GatewayMetrics | None = None,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        """``replay``: cues a new viewer gets first; ``ring``: recent cues kept per stream, so viewers that
        reconnect with ``since`` within them need no broker read. ``on_sent(msg_id)`` is called after each
        live frame was handed to a viewer's socket (benchmarks measure the gateway's own delay with it)."""
        self._broker = broker
        self.on_sent = on_sent
        self._queue_size = queue_size
        self._replay = replay
        self._ring = max(ring, replay, 1)
        self._metrics = metrics
        self._streams: dict[str, _Stream] = {}

    def viewer_count(self, stream: str | None = None) -> int:
        if stream is not None:
            return len(self._streams[stream].viewers) if stream in self._streams else 0
        return sum(len(s.viewers) for s in self._streams.values())

    def queued(self) -> int:
        """Frames waiting in viewers' queues (their sockets are slower than the stream)."""
        return sum(v.queue.qsize() for s in self._streams.values() for v in s.viewers)

    def subscriptions(self) -> int:
        return sum(1 for s in self._streams.values() if s.task is not None and not s.task.done())

    def streams(self) -> list[StreamViewers]:
        """Viewer counts per stream of this instance (for metrics, read at scrape time)."""
        return [StreamViewers(name, len(s.viewers), s.exists) for name, s in self._streams.items()]

    def attach(self, stream: str) -> Viewer:
        """Register a viewer (its queue starts filling with live events at once)."""
        state = self._streams.get(stream)
        if state is None:
            state = self._streams[stream] = _Stream(ring=deque(maxlen=self._ring))
        viewer = Viewer(stream=stream, queue=asyncio.Queue(maxsize=self._queue_size))
        state.viewers.add(viewer)
        if state.task is None or state.task.done():
            state.task = asyncio.create_task(self._subscription(stream, state), name=f"fanout:{stream}")
        return viewer

    async def detach(self, viewer: Viewer) -> None:
        """Forget a viewer; the last one to leave ends the stream's subscription."""
        state = self._streams.get(viewer.stream)
        if state is None:
            return
        state.viewers.discard(viewer)
        if self._metrics and viewer.overflowed:
            self._metrics.viewers_dropped.inc()
        if not state.viewers:
            self._streams.pop(viewer.stream, None)
            if state.task is not None:
                state.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await state.task

    async def relay(self, viewer: Viewer, send: Send, *, since: str | None = None) -> None:
        """Send history (everything after ``since``, else the last ``replay`` cues), then live frames."""
        state = self._streams.get(viewer.stream)
        if state is None:
            return  # already detached
        await state.ready.wait()  # ring read and live subscription in place: no gap
        backlog = self._backlog(state, since)
        if backlog is None:  # ``since`` is older than the ring: only this viewer reads the broker
            envelopes = await self._broker.history_after(topic_for(viewer.stream), since)
            backlog = [(e.id, True, subtitle_frame(e)) for e in envelopes]
        cursor = Cursor(since)
        for msg_id, durable, frame in backlog:
            if cursor.admit(msg_id, durable=durable):
                await send(frame)
        while True:
            msg_id, durable, frame = await viewer.queue.get()
            if not cursor.admit(msg_id, durable=durable):
                continue  # already sent as history
            await send(frame)
            if self.on_sent is not None:
                self.on_sent(msg_id)

    def _backlog(self, state: _Stream, since: str | None) -> list[Item] | None:
        """The replay from the ring; None when ``since`` lies before what the ring holds."""
        if since is None:
            return list(state.ring)[-self._replay :] if self._replay else []
        if state.complete or (state.ring and not id_after(state.ring[0][0], since)):
            return [item for item in state.ring if id_after(item[0], since)]
        return None

    async def _subscription(self, stream: str, state: _Stream) -> None:
        topic = topic_for(stream)
        delay = 0.1
        while True:
            try:
                if not state.ready.is_set():
                    backlog = await self._broker.history(topic, count=self._ring)
                    state.complete = len(backlog) < self._ring
                    for envelope in backlog:
                        state.remember((envelope.id, True, subtitle_frame(envelope)))
                    state.ready.set()
                # Everything after the ring's newest cue ("0-0": the whole, so far empty, topic).
                since = state.ring[-1][0] if state.ring else "0-0"
                async with self._broker.subscribe(topic, since=since) as events:
                    delay = 0.1
                    async for envelope in events:
                        item = (envelope.id, envelope.durable, subtitle_frame(envelope))
                        state.live_seen = True
                        if envelope.durable:
                            state.remember(item)
                        for viewer in list(state.viewers):
                            viewer.offer(item)
                        if self._metrics:
                            self._metrics.frames_out.inc(len(state.viewers))
                log.info("fanout.subscription.ended stream=%s reason=broker_closed", stream)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fanout.subscription.failed stream=%s retry_in=%.1fs", stream, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def aclose(self) -> None:
        for state in list(self._streams.values()):
            if state.task is not None:
                state.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await state.task
        self._streams.clear()
