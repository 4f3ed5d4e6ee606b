"""Where the live subtitle service publishes: the :class:`SubtitleSink` protocol.

The service (:mod:`asr.live.service`) knows nothing of brokers, topics or wire messages; it hands each
stream's events to a sink. ``channels`` implements the protocol (``channels.subtitle_sink.BrokerSink``:
the broker topic ``subtitles:{stream}``) and the ``rathaus`` command wires it in, so ``asr`` never
imports ``channels``. Tests and measurements use :class:`CollectingSink`.

Delivery guarantees are the sink's: a cue or a state change is durable (viewers that join later get it),
a partial is live only and may be lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from common.subtitles import Cue

__all__ = ["AsrWiring", "CollectingSink", "SinkOpener", "StreamState", "SubtitleSink"]

StreamState = Literal["started", "ended", "error"]


class SubtitleSink(Protocol):
    """What the live service needs to publish a stream's subtitles. Methods may raise; the service logs,
    counts (``publish_errors``) and keeps transcribing."""

    async def cue(self, stream: str, cue: Cue) -> None:
        """A finished cue (durable)."""

    async def partial(self, stream: str, text: str) -> None:
        """The provisional text after the last cue (live only)."""

    async def state(self, stream: str, state: StreamState, detail: str | None, *, origin: float | None = None) -> None:
        """The stream started, ended or failed; ``detail`` is German text for viewers (durable). With
        ``started``, ``origin`` is the Unix time of the stream's second 0 when the source says (an HLS
        livestream's program date time), so players show each cue when its words are in the picture."""

    async def aclose(self) -> None:
        """Release what the sink holds (connections); called once when the service stops."""


#: Opens the production sink for a broker URL (``memory://``, ``redis://...``) and a city id (``None``:
#: the default city), so that the city's viewers get the cues; the CLI supplies it.
SinkOpener = Callable[[str | None, str | None], SubtitleSink]


@dataclass(frozen=True, slots=True)
class AsrWiring:
    """What the ``rathaus`` command hands to ``rathaus asr`` commands (as the Typer context object)."""

    open_sink: SinkOpener


@dataclass(slots=True)
class CollectingSink:
    """A sink that keeps everything in order in memory, as ``(kind, stream, payload)`` tuples."""

    events: list[tuple[str, str, object]] = field(default_factory=list)
    origins: dict[str, float | None] = field(default_factory=dict)  # announced with "started", per stream

    async def cue(self, stream: str, cue: Cue) -> None:
        self.events.append(("cue", stream, cue))

    async def partial(self, stream: str, text: str) -> None:
        self.events.append(("partial", stream, text))

    async def state(self, stream: str, state: StreamState, detail: str | None, *, origin: float | None = None) -> None:
        self.events.append(("state", stream, (state, detail)))
        if state == "started":
            self.origins[stream] = origin

    async def aclose(self) -> None:
        return None

    def cues(self, stream: str) -> list[Cue]:
        return [p for kind, s, p in self.events if kind == "cue" and s == stream and isinstance(p, Cue)]
