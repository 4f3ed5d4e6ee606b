"""Audio sources for the live service: anything ffmpeg reads, as 16 kHz mono PCM16 chunks.

A source is a file path (audio or video), or a URL that ffmpeg opens (HLS ``https://.../index.m3u8``,
``rtmp://``, ``srt://``, ``http://``). PyAV demuxes and decodes it and resamples the first audio stream to
16 kHz mono signed 16-bit samples, which is what the ingest protocol and the transcriber take.

* :func:`read_chunks` is a blocking generator (for a worker thread or the offline evaluation).
* :class:`Pacer` is the sans-I/O part of real-time pacing: given the samples sent so far and the clock,
  how long to wait before the next chunk is due.
* :func:`iter_source` is the asyncio shell: it reads in a worker thread, paces to real time when asked,
  and can loop a file for demos.

Failures become :class:`~asr.errors.AudioError` with the source and a fix: a missing or corrupt file, a
file without an audio stream, a URL that does not answer within ``open_timeout_s``/``read_timeout_s``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asr.errors import AudioError

__all__ = [
    "SAMPLE_RATE",
    "Pacer",
    "SourceOptions",
    "is_url",
    "iter_source",
    "read_chunks",
    "read_pcm",
]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How a source is read. ``chunk_s`` is the size of each yielded chunk in seconds of audio."""

    sample_rate: int = SAMPLE_RATE
    chunk_s: float = 0.1
    open_timeout_s: float = 10.0
    read_timeout_s: float = 10.0

    @property
    def chunk_samples(self) -> int:
        return max(1, round(self.chunk_s * self.sample_rate))


def is_url(source: str | Path) -> bool:
    """True for ``scheme://...`` sources (HLS, RTMP, HTTP, SRT), False for local paths."""
    return "://" in str(source)


def _open(source: str, options: SourceOptions):  # type: ignore[no-untyped-def]
    import av  # PyAV: heavy import, only when a source is really opened

    url = is_url(source)
    if not url and not Path(source).is_file():
        raise AudioError(f"audio source {source!r} does not exist or is not a file; check the path")
    try:
        container = av.open(source, timeout=(options.open_timeout_s, options.read_timeout_s) if url else None)
    except av.error.ExitError as exc:
        raise AudioError(
            f"audio source {source!r} did not answer within {options.open_timeout_s:g} s; check that the "
            "stream is live and the URL is right (RATHAUS_ASR_OPEN_TIMEOUT_S sets the limit)"
        ) from exc
    except av.error.FFmpegError as exc:
        raise AudioError(
            f"cannot open audio source {source!r}: {exc}; check that it is a complete audio/video file "
            "or a reachable stream URL that ffmpeg understands"
        ) from exc
    if not container.streams.audio:
        container.close()
        raise AudioError(f"audio source {source!r} has no audio stream; subtitles need the meeting's sound")
    return container


def read_chunks(source: str | Path, *, options: SourceOptions = SourceOptions()) -> Generator[np.ndarray, None, None]:
    """Yield int16 mono chunks of ``options.chunk_samples`` samples (the last one may be shorter)."""
    import av

    name = str(source)
    container = _open(name, options)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=options.sample_rate)
    pending = np.zeros(0, dtype=np.int16)
    size = options.chunk_samples
    try:
        stream = container.streams.audio[0]
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                frame = None
            except av.error.ExitError as exc:
                raise AudioError(
                    f"audio source {name!r} stopped sending for {options.read_timeout_s:g} s; "
                    "the stream ended or the connection dropped"
                ) from exc
            except av.error.FFmpegError as exc:
                raise AudioError(f"audio source {name!r} is corrupt or truncated: {exc}") from exc
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                pending = np.concatenate([pending, samples])
            while len(pending) >= size:
                yield pending[:size].copy()
                pending = pending[size:]
            if frame is None:
                break
        if len(pending):
            yield pending
    finally:
        container.close()


def read_pcm(source: str | Path, *, options: SourceOptions = SourceOptions()) -> np.ndarray:
    """The whole source as one int16 mono array (files only; a live URL would never end)."""
    chunks = list(read_chunks(source, options=options))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


@dataclass(slots=True)
class Pacer:
    """Real-time pacing without I/O: chunk *n* is due when its audio start time has passed."""

    sample_rate: int = SAMPLE_RATE
    start: float | None = None
    sent_samples: int = 0

    def delay(self, now: float) -> float:
        """Seconds to wait before sending the next chunk (0 when it is already due)."""
        if self.start is None:
            self.start = now
            return 0.0
        due = self.start + self.sent_samples / self.sample_rate
        return max(0.0, due - now)

    def sent(self, samples: int) -> None:
        self.sent_samples += samples

    def lag(self, now: float) -> float:
        """How far behind real time the sender is (positive: behind)."""
        if self.start is None:
            return 0.0
        return max(0.0, now - self.start - self.sent_samples / self.sample_rate)


async def iter_source(
    source: str | Path,
    *,
    options: SourceOptions = SourceOptions(),
    realtime: bool = True,
    loop_forever: bool = False,
    max_loops: int | None = None,
) -> AsyncIterator[bytes]:
    """PCM16 little-endian bytes from ``source``, at real-time speed when ``realtime``.

    Decoding runs in a worker thread, one chunk at a time, so the event loop never blocks on ffmpeg.
    With ``loop_forever`` a file restarts at its end (``make demo`` replays a meeting recording).
    """
    pacer = Pacer(sample_rate=options.sample_rate)
    loops = 0
    limit = math.inf if max_loops is None else max_loops
    while True:
        chunks: Generator[np.ndarray, None, None] = read_chunks(source, options=options)
        sentinel = object()
        try:
            while True:
                chunk = await asyncio.to_thread(next, chunks, sentinel)
                if chunk is sentinel:
                    break
                assert isinstance(chunk, np.ndarray)
                if realtime:
                    wait = pacer.delay(time.monotonic())
                    if wait > 0:
                        await asyncio.sleep(wait)
                pacer.sent(len(chunk))
                yield chunk.astype("<i2", copy=False).tobytes()
        finally:
            try:
                chunks.close()  # closes the container; a read still running in its thread ends alone
            except ValueError:
                pass
        loops += 1
        if not loop_forever or loops >= limit:
            return
        log.info("asr.source.looped source=%s loops=%d", source, loops)
