"""The per-stream state of the live subtitle service, its options and results, and its errors.

Plain data for :mod:`asr.live.service`: the scheduler owns the behaviour, these classes only hold what
one stream has received, decoded and published.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from asr.core.pipeline import CueBuilderLike, LiveSubtitler, TranscriberLike
from asr.errors import AsrError

__all__ = [
    "SAMPLE_RATE",
    "LiveStream",
    "ServiceOptions",
    "StreamBusy",
    "StreamClosed",
    "StreamExists",
    "StreamHandle",
    "StreamStats",
    "StreamSummary",
    "TooManyStreams",
    "TranscriberFactory",
]

SAMPLE_RATE = 16_000


class StreamExists(AsrError):
    """A stream with this id is already live in this process."""


class TooManyStreams(AsrError):
    """The process serves ``max_streams`` streams already."""


class StreamClosed(AsrError):
    """Audio was sent to a stream that has ended."""


class StreamBusy(AsrError):
    """The stream's audio queue stayed full (the service is far behind real time)."""


#: (stream id, language) -> (transcriber, cue builder); the service binds them and its clock into a
#: :class:`~asr.core.pipeline.LiveSubtitler`. The default binds the shared Whisper model.
TranscriberFactory = Callable[[str, str], tuple[TranscriberLike, CueBuilderLike]]


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """Scheduling and limits of one service process."""

    num_workers: int = 1
    queue_s: float = 30.0
    max_streams: int = 8
    feed_timeout_s: float = 60.0
    max_push_s: float = 4.0
    sample_rate: int = SAMPLE_RATE
    # batch steps (asr/live/batching.py): up to batch_size ready streams decode in one batched call;
    # 1 = one stream per step. batch_wait_s: how long the scheduler waits for more ready streams.
    batch_size: int = 1
    batch_wait_s: float = 0.005

    def __post_init__(self) -> None:
        if self.num_workers < 1 or self.max_streams < 1 or self.queue_s <= 0 or self.max_push_s <= 0:
            raise ValueError("ServiceOptions needs num_workers >= 1, max_streams >= 1, queue_s > 0 and max_push_s > 0")
        if self.batch_size < 1 or not 0 <= self.batch_wait_s <= 0.1:
            raise ValueError("ServiceOptions needs batch_size >= 1 and 0 <= batch_wait_s <= 0.1")


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """What a stream produced, returned when it ends."""

    stream: str
    state: str  # "ended" | "error"
    cues: int
    audio_s: float
    steps: int
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Recent measurements of one stream, in seconds: decode lag per step, latency per committed word."""

    lag_s: tuple[float, ...]
    commit_latency_s: tuple[float, ...]


@dataclass(slots=True, eq=False)
class LiveStream:
    """One live stream inside the service: its pipeline, audio queue, flags and recent measurements."""

    id: str
    language: str
    live: LiveSubtitler
    pending: deque[np.ndarray] = field(default_factory=deque)
    pending_samples: int = 0
    received_samples: int = 0
    pushed_samples: int = 0
    # (sample position reached, monotonic time it arrived) for latency: word end -> wall time it was heard
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    busy: bool = False
    ending: bool = False
    failed: bool = False
    closed: bool = False
    detail: str | None = None
    steps: int = 0
    cues_published: int = 0
    space: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    summary: StreamSummary | None = None
    # recent measurements for `rathaus asr bench` (bounded: a stream may run for hours)
    lag_s: deque[float] = field(default_factory=lambda: deque(maxlen=20_000))
    commit_latency_s: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))

    def forget_arrivals(self, before_samples: int) -> None:
        """Drop arrival times of audio long decoded (keeps memory flat over a long meeting)."""
        if len(self.arrivals) > 2_000 and self.arrivals[0][0] < before_samples:
            i = bisect.bisect_left(self.arrivals, (before_samples, -1.0))
            del self.arrivals[:i]

    def heard_at(self, seconds: float, sample_rate: int) -> float | None:
        """Monotonic time at which the audio at stream time ``seconds`` had arrived."""
        if not self.arrivals:
            return None
        position = int(seconds * sample_rate)
        i = bisect.bisect_left(self.arrivals, (position, -1.0))
        return self.arrivals[min(i, len(self.arrivals) - 1)][1]


class StreamHandle:
    """What an ingest connection holds: feed audio, then end (or abort on disconnect). The service gives it
    its own ``feed`` and ``end`` for the stream (asr.live.service.SubtitleService.open)."""

    def __init__(
        self,
        stream: LiveStream,
        *,
        feed: Callable[[LiveStream, bytes | np.ndarray], Awaitable[None]],
        end: Callable[[LiveStream, str | None], Awaitable[StreamSummary]],
        sample_rate: int,
    ) -> None:
        self._stream = stream
        self._feed = feed
        self._end = end
        self._sample_rate = sample_rate

    @property
    def id(self) -> str:
        return self._stream.id

    @property
    def cues_published(self) -> int:
        return self._stream.cues_published

    @property
    def closed(self) -> bool:
        return self._stream.closed

    async def feed(self, pcm: bytes | np.ndarray) -> None:
        """Queue PCM16 bytes (or int16 / float32 samples); waits while the stream's queue is full."""
        await self._feed(self._stream, pcm)

    @property
    def queued_s(self) -> float:
        """Audio received but not yet handed to the decoder, in seconds."""
        return self._stream.pending_samples / self._sample_rate

    async def end(
        self, detail: str | None = None, *, discard_queued: bool = False, failed: bool = False
    ) -> StreamSummary:
        """Finish the stream: decode what is queued (unless ``discard_queued``), commit the rest, publish
        the last cues, then ``ended`` (or ``error`` when ``failed``: the source broke)."""
        if discard_queued:
            self._stream.pending.clear()
            self._stream.pending_samples = 0
        if failed:
            self._stream.failed = True
        return await self._end(self._stream, detail)

    def stats(self) -> StreamStats:
        """Recent decode lags and commit latencies of this stream (for ``rathaus asr bench``)."""
        return StreamStats(tuple(self._stream.lag_s), tuple(self._stream.commit_latency_s))
