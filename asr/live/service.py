"""The live subtitle service: many streams, one shared model, a fair scheduler, cues to a sink.

Each stream is a :class:`~asr.core.pipeline.LiveSubtitler` (commit policy + cue builder + guards, sans-I/O; the
same pipeline the evaluation runs), fed through a bounded per-stream audio queue. This module only
schedules, applies back-pressure and publishes. One scheduler task hands
decode steps to a pool of ``num_workers`` threads, least recently served stream first, one step per
stream at a time: a stream with a long backlog gets one turn like every other stream, so it never
stalls them. Whisper runs only in the worker threads; the event loop moves audio and publishes.

With ``batch_size`` > 1 (and a :class:`~asr.live.batching.GatheringDecoder`) the scheduler hands out *rounds*
instead: up to ``batch_size`` ready streams, least recently served first, step together and their decodes
share one batched call (:mod:`asr.live.batching`); at most ``num_workers`` rounds run at a time. Each stream's
step, commit policy and events are the same as alone; a stream whose decode fails ends alone.

Events go to a :class:`~asr.core.sink.SubtitleSink` (wired by the CLI; in production the broker topic
``subtitles:{stream}``): partials (live only), cues (durable) and stream states
``started``/``ended``/``error``. Whatever
ends a stream (its end message, a client that disconnects, a decoder error, shutdown) the words
committed so far are turned into cues and published before the ``ended``/``error`` event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from asr.core.pipeline import (
    CueBuilderLike,
    CueReady,
    LiveEvent,
    LiveSubtitler,
    ProvisionalText,
    TranscriberLike,
    WordsCommitted,
    WordsDropped,
)
from asr.core.sink import StreamState, SubtitleSink
from asr.errors import AsrError
from asr.live.batching import DecodeRound, GatheringDecoder, RoundTicket
from asr.live.metrics import ServiceMetrics
from asr.live.streams import (
    LiveStream,
    ServiceOptions,
    StreamBusy,
    StreamClosed,
    StreamExists,
    StreamHandle,
    StreamStats,
    StreamSummary,
    TooManyStreams,
    TranscriberFactory,
)
from common.streams import STREAM_ID_HINT, valid_stream_id

if TYPE_CHECKING:  # pragma: no cover
    from asr.live.settings import AsrSettings
    from common.subtitles import Cue

__all__ = [
    "CueBuilderLike",
    "ServiceOptions",
    "StreamBusy",
    "StreamClosed",
    "StreamExists",
    "StreamHandle",
    "StreamStats",
    "StreamSummary",
    "SubtitleService",
    "TooManyStreams",
    "TranscriberFactory",
    "TranscriberLike",
]

log = logging.getLogger(__name__)


class SubtitleService:
    """Serves many live streams from one process; use as ``async with SubtitleService(...) as svc``."""

    def __init__(
        self,
        *,
        sink: SubtitleSink,
        factory: TranscriberFactory,
        options: ServiceOptions | None = None,
        metrics: ServiceMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_dispatch: Callable[[str, str], None] | None = None,
        batcher: GatheringDecoder | None = None,
    ) -> None:
        """``on_dispatch(stream, job)`` is called as each job (``"step"`` or ``"finish"``) is handed to a
        worker, in that order (tests check the scheduler's fairness with it). ``batcher``: the decoder the
        factory's transcribers use, when steps run in rounds (``options.batch_size`` > 1)."""
        self._sink = sink
        self._factory = factory
        self._options = options or ServiceOptions()
        self.metrics = metrics or ServiceMetrics()
        self._clock = clock
        self._streams: dict[str, LiveStream] = {}
        self._order: list[str] = []  # least recently served first
        self._inflight = 0
        self._wake = asyncio.Event()
        self._executor: ThreadPoolExecutor | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        self.decode_seconds_total = 0.0
        self._on_dispatch = on_dispatch
        self._batcher = batcher if self._options.batch_size > 1 else None
        self.rounds: list[int] = []  # streams per round (batch mode), for the benchmark

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def from_settings(cls, settings: AsrSettings, *, sink: SubtitleSink) -> SubtitleService:
        """The production service: one shared Whisper model for every stream of the process."""
        from asr.core.cues import CueBuilder
        from asr.whisper.engine import live_transcriber, make_decoder
        from asr.whisper.model import get_shared_model

        # the city's local terms, once at start-up: a content problem stops the service here, and the
        # log says which content folder (RATHAUS_CONTENT) the hotwords came from
        log.info("asr.live.service.content city=%s root=%s hotwords=%s", settings.city or "(default)",
                 settings.content_root, settings.stream_options().hotwords)
        model = get_shared_model(settings.model_options())
        metrics = ServiceMetrics()
        engine = make_decoder(model, settings.decoder)
        batcher = GatheringDecoder(engine) if settings.batch_size > 1 and hasattr(engine, "decode_batch") else None
        decoder = batcher or engine
        cue_options = settings.cue_options()

        def factory(stream: str, language: str) -> tuple[TranscriberLike, CueBuilderLike]:
            transcriber = live_transcriber(decoder, settings.stream_options(language=language))
            return transcriber, CueBuilder(cue_options)

        options = ServiceOptions(
            num_workers=settings.num_workers,
            queue_s=settings.queue_s,
            max_streams=settings.max_streams,
            batch_size=settings.batch_size if batcher else 1,
        )
        return cls(sink=sink, factory=factory, options=options, metrics=metrics, batcher=batcher)

    async def __aenter__(self) -> SubtitleService:
        threads = self._options.num_workers * (self._options.batch_size if self._batcher else 1)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="asr-decode")
        self._scheduler = asyncio.create_task(self._schedule(), name="asr-scheduler")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self, *, detail: str = "Der Dienst wurde beendet.") -> None:
        """End every stream (publishing their last cues), then stop the scheduler and the workers."""
        streams = [s for s in self._streams.values() if not s.closed]
        if streams:
            await asyncio.gather(*(self._end(s, detail) for s in streams), return_exceptions=True)
        if self._scheduler is not None:
            self._scheduler.cancel()
            try:
                await self._scheduler
            except asyncio.CancelledError:
                pass
            self._scheduler = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @property
    def sample_rate(self) -> int:
        return self._options.sample_rate

    @property
    def streams(self) -> list[str]:
        """Ids of the live streams."""
        return [s.id for s in self._streams.values() if not s.closed]

    # ------------------------------------------------------------------ streams
    async def open_stream(
        self, stream_id: str, *, language: str = "de", origin: float | None = None
    ) -> StreamHandle:
        """Start a stream; raises :class:`StreamExists` or :class:`TooManyStreams`. ``origin``: the Unix time
        of the stream's second 0 when the source says (HLS program date time), announced with ``started``."""
        if self._scheduler is None:
            raise AsrError("SubtitleService is not running; use `async with SubtitleService(...)`")
        if not valid_stream_id(stream_id):
            # The gateway would never show it (viewer page and transcript answer 404): refuse it before
            # a single second of audio is transcribed.
            raise AsrError(f"stream id {stream_id!r} is not valid ({STREAM_ID_HINT}); pick another id")
        if stream_id in self._streams:
            raise StreamExists(f"stream {stream_id!r} is already live; end it first or pick another id")
        if len(self._streams) >= self._options.max_streams:
            raise TooManyStreams(
                f"this process serves {self._options.max_streams} streams already "
                "(RATHAUS_ASR_MAX_STREAMS); end one or start another process"
            )
        transcriber, cues = self._factory(stream_id, language)
        live = LiveSubtitler(transcriber, cues, clock=self._clock)
        stream = LiveStream(id=stream_id, language=language, live=live)
        stream.space.set()
        self._streams[stream_id] = stream
        self._order.append(stream_id)
        self.metrics.active_streams.inc()
        log.info("asr.stream.started stream=%s language=%s origin=%s", stream_id, language, origin)
        await self._publish_state(stream, "started", None, origin=origin)
        return StreamHandle(stream, feed=self._feed, end=self._end, sample_rate=self.sample_rate)

    async def _feed(self, stream: LiveStream, pcm: bytes | np.ndarray) -> None:
        if stream.closed or stream.ending:
            raise StreamClosed(f"stream {stream.id!r} has ended; start a new stream to send more audio")
        samples = _as_float32(pcm)
        if samples.size == 0:
            return
        limit = int(self._options.queue_s * self._options.sample_rate)
        while stream.pending_samples >= limit:
            stream.space.clear()
            try:
                await asyncio.wait_for(stream.space.wait(), timeout=self._options.feed_timeout_s)
            except TimeoutError as exc:
                raise StreamBusy(
                    f"stream {stream.id!r}: {self._options.queue_s:g} s of audio queued and nothing "
                    f"processed for {self._options.feed_timeout_s:g} s; the service is overloaded"
                ) from exc
            if stream.closed or stream.ending:
                raise StreamClosed(f"stream {stream.id!r} ended while audio was queued")
        stream.pending.append(samples)
        stream.pending_samples += samples.size
        stream.received_samples += samples.size
        stream.arrivals.append((stream.received_samples, self._clock()))
        self.metrics.audio_seconds.inc(samples.size / self._options.sample_rate)
        self._wake.set()

    async def _end(self, stream: LiveStream, detail: str | None) -> StreamSummary:
        if not stream.ending:
            stream.ending = True
            stream.detail = detail
            stream.space.set()
            self._wake.set()
        await stream.done.wait()
        assert stream.summary is not None
        return stream.summary

    # ------------------------------------------------------------------ scheduling
    async def _schedule(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._batcher is not None:
                if self._inflight >= self._options.num_workers:
                    continue
                await asyncio.sleep(self._options.batch_wait_s)  # streams that get ready together go together
                self._dispatch_rounds()
            else:
                self._dispatch()

    def _dispatch_rounds(self) -> None:
        """Batch mode: hand rounds of up to ``batch_size`` streams with a job to free workers (round robin)."""
        assert self._batcher is not None
        while self._inflight < self._options.num_workers:
            chosen = self._pick(self._options.batch_size)
            if not chosen:
                return
            round_ = DecodeRound(self._batcher.decoder, len(chosen))
            ticket = RoundTicket(len(chosen), time.perf_counter())
            self._inflight += 1
            self.rounds.append(len(chosen))
            for stream, job in chosen:
                self._start(stream, job, (round_, ticket))

    def _dispatch(self) -> None:
        """Hand jobs to free workers, least recently served stream first (round robin)."""
        while self._inflight < self._options.num_workers:
            chosen = self._pick(1)
            if not chosen:
                return
            self._inflight += 1
            self._start(*chosen[0])

    def _pick(self, limit: int) -> list[tuple[LiveStream, str]]:
        """Up to ``limit`` idle streams with a job, least recently served first."""
        chosen: list[tuple[LiveStream, str]] = []
        for sid in self._order:
            stream = self._streams[sid]
            if stream.busy or stream.closed:
                continue
            job = self._next_job(stream)
            if job is not None:
                chosen.append((stream, job))
                if len(chosen) >= limit:
                    break
        return chosen

    def _start(self, stream: LiveStream, job: str, batch: tuple[DecodeRound, RoundTicket] | None = None) -> None:
        """Run ``job`` of ``stream`` as a task (the caller counted the worker); it goes to the back of the order."""
        self._order.remove(stream.id)
        self._order.append(stream.id)
        stream.busy = True
        if self._on_dispatch is not None:
            self._on_dispatch(stream.id, job)
        task = asyncio.create_task(self._run_job(stream, job, batch), name=f"asr-{job}-{stream.id}")
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    def _next_job(self, stream: LiveStream) -> str | None:
        if stream.pending:
            # At most max_push_s per turn: a stream catching up on a backlog takes it in slices,
            # one slice per round, and every other stream gets its turn in between.
            budget = int(self._options.max_push_s * self._options.sample_rate)
            parts: list[np.ndarray] = []
            taken = 0
            while stream.pending and taken < budget:
                head = stream.pending[0]
                room = budget - taken
                if head.size <= room:
                    parts.append(stream.pending.popleft())
                else:
                    parts.append(head[:room])
                    stream.pending[0] = head[room:]
                taken += parts[-1].size
            stream.pending_samples -= taken
            audio = np.concatenate(parts) if len(parts) > 1 else parts[0]
            stream.live.push_audio(audio)
            stream.pushed_samples += audio.size
            stream.space.set()
        if stream.live.ready():
            return "step"
        if stream.ending and not stream.pending:
            return "finish"
        if stream.pending:
            return "step"  # a short slice left over: decode it rather than wait
        return None

    async def _run_job(
        self, stream: LiveStream, job: str, batch: tuple[DecodeRound, RoundTicket] | None = None
    ) -> None:
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        covered = stream.pushed_samples
        call = stream.live.step if job == "step" else stream.live.finish
        if batch is not None:
            assert self._batcher is not None
            call = self._batcher.member(batch[0], call)
        try:
            started = time.perf_counter()
            events = await loop.run_in_executor(self._executor, call)
            spent = time.perf_counter() - started
            if batch is None:
                self.decode_seconds_total += spent
            self.metrics.decode_seconds.observe(spent)
            stream.steps += 1
            heard = stream.heard_at(covered / self._options.sample_rate, self._options.sample_rate)
            if heard is not None:
                lag = self._clock() - heard
                stream.lag_s.append(lag)
                self.metrics.stream_lag.observe(lag)
            await self._handle_events(stream, events)
            stream.forget_arrivals(stream.pushed_samples - 120 * self._options.sample_rate)
            if job == "finish":
                await self._close(stream, "error" if stream.failed else "ended", stream.detail)
        except Exception as exc:  # noqa: BLE001 - one failing stream must not take down the others
            log.exception("asr.stream.failed stream=%s job=%s", stream.id, job)
            await self._close(
                stream,
                "error",
                "Die Untertitel sind ausgefallen. Bitte laden Sie die Seite später neu.",
                error=exc,
            )
        finally:
            stream.busy = False
            if batch is None:
                self._inflight -= 1
            else:
                ticket = batch[1]
                ticket.jobs -= 1
                if ticket.jobs == 0:  # the round is over: its wall time counts once
                    self._inflight -= 1
                    self.decode_seconds_total += time.perf_counter() - ticket.started
            self._wake.set()

    async def _handle_events(self, stream: LiveStream, events: Sequence[LiveEvent]) -> None:
        for event in events:
            if isinstance(event, WordsCommitted):
                for word in event.words:
                    heard = stream.heard_at(word.end, self._options.sample_rate)
                    if heard is not None:
                        latency = max(0.0, event.at - heard)
                        stream.commit_latency_s.append(latency)
                        self.metrics.commit_latency.observe(latency)
            elif isinstance(event, ProvisionalText):
                await self._publish_partial(stream, event.text)
            elif isinstance(event, CueReady):
                await self._publish_cue(stream, event.cue)
            elif isinstance(event, WordsDropped):
                self.metrics.guard_drops.labels(reason=event.reason.value).inc()
                self.metrics.guard_dropped_words.labels(reason=event.reason.value).inc(len(event.drop.words))

    async def _close(
        self, stream: LiveStream, state: StreamState, detail: str | None, error: Exception | None = None
    ) -> None:
        if stream.closed:
            return
        try:
            await self._handle_events(stream, stream.live.flush())
        except Exception:  # noqa: BLE001 - keep closing even if the builder is broken
            log.exception("asr.stream.flush_failed stream=%s", stream.id)
        stream.closed = True
        stream.pending.clear()
        stream.pending_samples = 0
        await self._publish_state(stream, state, detail)
        self._streams.pop(stream.id, None)
        if stream.id in self._order:
            self._order.remove(stream.id)
        self.metrics.active_streams.dec()
        stream.summary = StreamSummary(
            stream=stream.id,
            state=state,
            cues=stream.cues_published,
            audio_s=stream.received_samples / self._options.sample_rate,
            steps=stream.steps,
            detail=detail if error is None else f"{detail} ({type(error).__name__}: {error})",
        )
        log.info(
            "asr.stream.%s stream=%s cues=%d audio_s=%.1f",
            state,
            stream.id,
            stream.cues_published,
            stream.summary.audio_s,
        )
        stream.space.set()
        stream.done.set()

    # ------------------------------------------------------------------ publishing
    async def _publish_cue(self, stream: LiveStream, cue: Cue) -> None:
        stream.cues_published += 1
        self.metrics.cues.inc()
        await self._deliver(stream, "cue", self._sink.cue(stream.id, cue))

    async def _publish_partial(self, stream: LiveStream, text: str) -> None:
        await self._deliver(stream, "partial", self._sink.partial(stream.id, text))

    async def _publish_state(
        self, stream: LiveStream, state: StreamState, detail: str | None, *, origin: float | None = None
    ) -> None:
        await self._deliver(stream, "state", self._sink.state(stream.id, state, detail, origin=origin))

    async def _deliver(self, stream: LiveStream, kind: str, delivery: Awaitable[None]) -> None:
        try:
            await delivery
        except Exception as exc:  # noqa: BLE001 - a sink (broker) outage must not stop transcription
            self.metrics.publish_errors.inc()
            log.warning("asr.publish.failed stream=%s type=%s error=%s", stream.id, kind, exc)


def _as_float32(pcm: bytes | np.ndarray) -> np.ndarray:
    if isinstance(pcm, bytes | bytearray | memoryview):
        data = np.frombuffer(pcm, dtype="<i2")
        return data.astype(np.float32) / 32768.0
    array = np.asarray(pcm)
    if array.dtype == np.int16:
        return array.astype(np.float32) / 32768.0
    return array.astype(np.float32, copy=False)
