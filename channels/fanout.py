"""Subtitle fan-out: one broker subscription per stream and instance, one bounded queue per viewer.

The subscription task serialises each event once and offers the same string to every viewer's queue
with ``put_nowait``; it never awaits a viewer. A viewer whose queue is full is marked overflowed and its
relay task cancelled; the WebSocket handler then closes it (1013) and it may reconnect with ``since``.
A new viewer is registered before its history is read, so nothing falls between history and live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from channels.broker import Broker, Envelope, id_after
from channels.messages import SubtitleCue
from channels.metrics import GatewayMetrics

__all__ = ["Fanout", "Viewer", "subtitle_frame", "topic_for"]

log = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]


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
    viewers: set[Viewer] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class Fanout:
    def __init__(
        self,
        broker: Broker,
        *,
        queue_size: int = 256,
        replay: int = 200,
        metrics: GatewayMetrics | None = None,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        """``on_sent(msg_id)`` is called after each live frame was handed to a viewer's socket
        (benchmarks measure the gateway's own delay with it)."""
        self._broker = broker
        self.on_sent = on_sent
        self._queue_size = queue_size
        self._replay = replay
        self._metrics = metrics
        self._streams: dict[str, _Stream] = {}

    def viewer_count(self, stream: str | None = None) -> int:
        if stream is not None:
            return len(self._streams[stream].viewers) if stream in self._streams else 0
        return sum(len(s.viewers) for s in self._streams.values())

    def subscriptions(self) -> int:
        return sum(1 for s in self._streams.values() if s.task is not None and not s.task.done())

    def attach(self, stream: str) -> Viewer:
        """Register a viewer (its queue starts filling with live events at once)."""
        state = self._streams.setdefault(stream, _Stream())
        viewer = Viewer(stream=stream, queue=asyncio.Queue(maxsize=self._queue_size))
        state.viewers.add(viewer)
        if state.task is None or state.task.done():
            state.task = asyncio.create_task(self._subscription(stream), name=f"fanout:{stream}")
        if self._metrics:
            self._metrics.viewers.labels(stream).set(len(state.viewers))
        return viewer

    async def detach(self, viewer: Viewer) -> None:
        """Forget a viewer; the last one to leave ends the stream's subscription."""
        state = self._streams.get(viewer.stream)
        if state is None:
            return
        state.viewers.discard(viewer)
        if self._metrics:
            self._metrics.viewers.labels(viewer.stream).set(len(state.viewers))
            if viewer.overflowed:
                self._metrics.viewers_dropped.inc()
        if not state.viewers:
            self._streams.pop(viewer.stream, None)
            if state.task is not None:
                state.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await state.task

    async def relay(self, viewer: Viewer, send: Send, *, since: str | None = None) -> None:
        """Send history (everything after ``since``, else the last ``replay`` cues), then live frames."""
        topic = topic_for(viewer.stream)
        state = self._streams.get(viewer.stream)
        if state is not None:
            await state.ready.wait()  # live subscription in place before history is read: no gap
        if since is not None:
            backlog = [e for e in await self._broker.history(topic, count=100_000) if id_after(e.id, since)]
        else:
            backlog = await self._broker.history(topic, count=self._replay) if self._replay else []
        last = since
        for envelope in backlog:
            await send(subtitle_frame(envelope))
            last = envelope.id
        while True:
            msg_id, durable, frame = await viewer.queue.get()
            if durable and last is not None and not id_after(msg_id, last):
                continue  # already sent as history
            await send(frame)
            if self.on_sent is not None:
                self.on_sent(msg_id)
            if durable:
                last = msg_id

    async def _subscription(self, stream: str) -> None:
        topic = topic_for(stream)
        delay = 0.1
        while True:
            try:
                async with self._broker.subscribe(topic) as events:
                    delay = 0.1
                    if (state := self._streams.get(stream)) is not None:
                        state.ready.set()
                    async for envelope in events:
                        state = self._streams.get(stream)
                        if state is None:
                            return
                        item = (envelope.id, envelope.durable, subtitle_frame(envelope))
                        for viewer in list(state.viewers):
                            viewer.offer(item)
                        if self._metrics:
                            self._metrics.frames_out.inc(len(state.viewers))
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
