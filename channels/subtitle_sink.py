"""The subtitle service's sink on the broker: what the live service publishes becomes broker messages.

Implements the ``asr.core.sink.SubtitleSink`` protocol structurally (this module does not import ``asr``):
cues and stream states go to ``subtitles:{stream}`` as durable :class:`SubtitleCue` /
:class:`SubtitleStream`, partials as live-only :class:`SubtitlePartial`. The ``rathaus`` command wires
it into ``rathaus asr serve`` (:func:`open_broker_sink`).
"""

from __future__ import annotations

from typing import Literal

from channels.broker import Broker, broker_from_url
from channels.cities import CityBroker, city_topic_prefix
from channels.fanout import topic_for
from channels.messages import SubtitleCue, SubtitlePartial, SubtitleStream
from common.subtitles import Cue

__all__ = ["BrokerSink", "open_broker_sink"]


class BrokerSink:
    """Publishes a subtitle stream's events to the broker. ``owns_broker``: :meth:`aclose` closes it."""

    def __init__(self, broker: Broker, *, owns_broker: bool = False) -> None:
        self.broker = broker
        self._owns_broker = owns_broker

    async def cue(self, stream: str, cue: Cue) -> None:
        message = SubtitleCue(stream=stream, seq=cue.index, start=cue.start, end=cue.end, lines=cue.lines)
        await self.broker.publish(topic_for(stream), message, durable=True)

    async def partial(self, stream: str, text: str) -> None:
        await self.broker.publish(topic_for(stream), SubtitlePartial(stream=stream, text=text), durable=False)

    async def state(
        self,
        stream: str,
        state: Literal["started", "ended", "error"],
        detail: str | None,
        *,
        origin: float | None = None,
    ) -> None:
        message = SubtitleStream(stream=stream, state=state, detail=detail, origin=origin)
        await self.broker.publish(topic_for(stream), message, durable=True)

    async def aclose(self) -> None:
        if self._owns_broker:
            await self.broker.aclose()


def open_broker_sink(url: str | None, *, city: str | None = None) -> BrokerSink:
    """The production sink: a broker from ``url`` (``memory://``, ``redis://...``), closed with the sink.

    ``city``: publish to that city's topics (:func:`channels.cities.city_topic_prefix`), where its
    viewers at ``/{city}/live/{stream}`` read; ``None`` is the default city. An unknown city is an error."""
    broker: Broker = broker_from_url(url)
    prefix = city_topic_prefix(city) if city else ""
    if prefix:
        broker = CityBroker(broker, prefix)
    return BrokerSink(broker, owns_broker=True)
