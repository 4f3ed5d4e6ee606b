"""Audio sources for the live service: anything ffmpeg reads, as 16 kHz mono PCM16 chunks.

A source is a file path (audio or video), or a URL that ffmpeg opens (HLS ``https://.../index.m3u8``,
``rtmp://``, ``srt://``, ``http://``). PyAV demuxes and decodes it and resamples the first audio stream to
16 kHz mono signed 16-bit samples, which is what the ingest protocol and the transcriber take.

* :func:`read_chunks` is a blocking generator (for a worker thread or the offline evaluation).
* :class:`Pacer` is the sans-I/O part of real-time pacing: given the samples sent so far and the clock,
  how long to wait before the next chunk is due.
* :func:`read_hls_chunks` reads an HLS livestream segment by segment (:mod:`asr.live.hls` decides which),
  so it knows the program date time of stream time 0 (``origin``) before the first chunk.
* :func:`open_source` is the asyncio shell: metadata up front (:class:`LiveSource` ``origin``), chunks
  lazily; it reads in a worker thread, paces to real time when asked, and can loop a file for demos.

Failures become :class:`~asr.errors.AudioError` with the source and a fix: a missing or corrupt file, a
file without an audio stream, a URL that does not answer within ``open_timeout_s``/``read_timeout_s``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from asr.errors import AudioError
from asr.live.hls import Gap, HlsCursor, parse_playlist
from common.hls import HlsPlaylist, HlsSegment, is_hls

__all__ = [
    "SAMPLE_RATE",
    "LiveSource",
    "OpenedAudio",
    "Pacer",
    "SourceOptions",
    "is_url",
    "iter_source",
    "open_audio",
    "open_source",
    "read_chunks",
    "read_hls_chunks",
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
    # HLS: start this many segments before the live edge of a live playlist (1: the newest segment)
    hls_start_segments: int = 1

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


@dataclass(slots=True)
class _Chunker:
    """Resampled audio in, chunks of ``size`` samples out (the rest waits for more)."""

    size: int
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))

    def add(self, samples: np.ndarray) -> Iterator[np.ndarray]:
        self.pending = np.concatenate([self.pending, samples.astype(np.int16, copy=False)])
        while len(self.pending) >= self.size:
            yield self.pending[: self.size].copy()
            self.pending = self.pending[self.size :]

    def rest(self) -> Iterator[np.ndarray]:
        if len(self.pending):
            yield self.pending
            self.pending = np.zeros(0, dtype=np.int16)


def _resampled(resampler, frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One decoded frame (``None``: flush) as 16 kHz mono int16 samples."""
    parts = [out.to_ndarray().reshape(-1) for out in resampler.resample(frame)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def read_chunks(source: str | Path, *, options: SourceOptions = SourceOptions()) -> Generator[np.ndarray, None, None]:
    """Yield int16 mono chunks of ``options.chunk_samples`` samples (the last one may be shorter)."""
    import av

    name = str(source)
    container = _open(name, options)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=options.sample_rate)
    chunker = _Chunker(options.chunk_samples)
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
            yield from chunker.add(_resampled(resampler, frame))
            if frame is None:
                break
        yield from chunker.rest()
    finally:
        container.close()


# ------------------------------------------------------------------------------------------------ HLS
def _fetch_playlist(url: str, options: SourceOptions, *, deadline: float) -> HlsPlaylist:
    """The playlist at ``url``, retried until ``deadline`` (a livestream's playlist may not exist yet)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=options.read_timeout_s) as response:  # noqa: S310 - operator's URL
                text = response.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() >= deadline:
                raise AudioError(
                    f"HLS playlist {url!r} did not answer within {options.open_timeout_s:g} s ({exc}); check "
                    "that the stream is live and the URL is right (RATHAUS_ASR_OPEN_TIMEOUT_S sets the limit)"
                ) from exc
            time.sleep(0.5)
            continue
        playlist = parse_playlist(text, url)
        if playlist.variant is not None:
            url = playlist.variant
            continue
        return playlist


class _SegmentDecoder:
    """Decodes the audio of consecutive segments with one decoder, so no frame loses its overlap at a
    segment boundary, and one resampler, so no sample is lost or doubled between segments."""

    def __init__(self, options: SourceOptions) -> None:
        import av

        self._av = av
        self._options = options
        self._codec = None
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=options.sample_rate)

    def decode(self, segment: HlsSegment) -> np.ndarray:
        av = self._av
        try:
            container = av.open(segment.uri, timeout=(self._options.open_timeout_s, self._options.read_timeout_s))
        except av.error.FFmpegError as exc:
            raise AudioError(f"HLS segment {segment.uri!r} cannot be read: {exc}") from exc
        parts: list[np.ndarray] = []
        try:
            if not container.streams.audio:
                raise AudioError(f"HLS segment {segment.uri!r} has no audio stream; subtitles need the sound")
            stream = container.streams.audio[0]
            if self._codec is None:
                self._codec = av.CodecContext.create(stream.codec_context.name, "r")
            for packet in container.demux(stream):
                if packet.size == 0:  # the container's end, not the stream's: the decoder must not flush
                    continue
                for frame in self._codec.decode(packet):  # type: ignore[attr-defined]
                    parts.append(_resampled(self._resampler, frame))
        except av.error.FFmpegError as exc:
            raise AudioError(f"HLS segment {segment.uri!r} is corrupt or truncated: {exc}") from exc
        finally:
            container.close()
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def read_hls_chunks(url: str, *, options: SourceOptions = SourceOptions()) -> OpenedAudio:
    """An HLS livestream as :class:`OpenedAudio`: the Unix time of stream time 0 from the playlist's
    ``EXT-X-PROGRAM-DATE-TIME`` (``None`` without it), known before any audio, and the audio as int16
    mono chunks. Segments that left the playlist before they were read become silence of their length,
    so stream time keeps matching the program date time. Ends after the last segment of a finished
    playlist (``EXT-X-ENDLIST``); raises :class:`AudioError` when a live playlist stops growing for
    ``read_timeout_s`` (or three target durations, whichever is longer)."""
    playlist = _fetch_playlist(url, options, deadline=time.monotonic() + options.open_timeout_s)
    if playlist.init_section:
        log.warning("asr.source.hls_fmp4 source=%s: fMP4 segments are read through ffmpeg, without origin", url)
        return OpenedAudio(origin=None, live=not playlist.ended, chunks=read_chunks(url, options=options))
    cursor = HlsCursor(start_segments=options.hls_start_segments)
    first_steps = cursor.advance(playlist)
    return OpenedAudio(origin=cursor.origin, live=not playlist.ended,
                       chunks=_hls_chunks(url, playlist, cursor, first_steps, options))


def _hls_chunks(
    url: str, playlist: HlsPlaylist, cursor: HlsCursor, steps: list[HlsSegment | Gap], options: SourceOptions
) -> Generator[np.ndarray, None, None]:
    decoder = _SegmentDecoder(options)
    chunker = _Chunker(options.chunk_samples)
    last_new = time.monotonic()
    while True:
        for step in steps:
            if isinstance(step, Gap):
                log.warning("asr.source.hls_gap source=%s seconds=%.2f", url, step.seconds)
                yield from chunker.add(np.zeros(round(step.seconds * options.sample_rate), dtype=np.int16))
            else:
                yield from chunker.add(decoder.decode(step))
        if steps:
            last_new = time.monotonic()
        elif playlist.ended:
            break
        if time.monotonic() - last_new > max(options.read_timeout_s, 3 * playlist.target_duration):
            raise AudioError(
                f"HLS playlist {url!r} has had no new segment for {time.monotonic() - last_new:.0f} s; "
                "the stream ended without EXT-X-ENDLIST or the encoder stopped"
            )
        if not steps:  # nothing new yet: ask again after half a target duration (RFC 8216, 6.3.4)
            time.sleep(max(0.2, playlist.target_duration / 2))
        playlist = _fetch_playlist(url, options, deadline=time.monotonic() + options.read_timeout_s)
        steps = cursor.advance(playlist)
    yield from chunker.rest()


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


@dataclass(frozen=True, slots=True)
class OpenedAudio:
    """A source once opened: ``origin`` (Unix time of stream time 0, from an HLS playlist's program date
    time; ``None`` when the source does not say), ``live`` (it arrives at real time by itself, so it is
    not paced again) and the audio as int16 mono chunks."""

    origin: float | None
    live: bool
    chunks: Iterator[np.ndarray]


def open_audio(source: str | Path, *, options: SourceOptions = SourceOptions()) -> OpenedAudio:
    """Open ``source`` (blocking): an HLS playlist URL is read segment by segment (:func:`read_hls_chunks`),
    anything else through ffmpeg (:func:`read_chunks`)."""
    name = str(source)
    if is_hls(name):
        return read_hls_chunks(name, options=options)
    return OpenedAudio(origin=None, live=False, chunks=read_chunks(name, options=options))


class LiveSource:
    """An opened source for the live service: metadata up front (:attr:`origin`), then PCM16 little-endian
    bytes with ``async for`` (:func:`open_source`)."""

    def __init__(self, source: str | Path, first: OpenedAudio, *, options: SourceOptions, realtime: bool,
                 loop_forever: bool, max_loops: int | None) -> None:
        self.source = source
        self.origin = first.origin
        self._first: OpenedAudio | None = first
        self._options = options
        self._realtime = realtime
        self._loop_forever = loop_forever
        self._limit = math.inf if max_loops is None else max_loops

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pacer = Pacer(sample_rate=self._options.sample_rate)
        loops = 0
        while True:
            opened = self._first if self._first is not None else await asyncio.to_thread(
                open_audio, self.source, options=self._options
            )
            self._first = None
            chunks = opened.chunks
            sentinel = object()
            try:
                while True:
                    chunk = await asyncio.to_thread(next, chunks, sentinel)
                    if chunk is sentinel:
                        break
                    assert isinstance(chunk, np.ndarray)
                    if self._realtime and not opened.live:
                        wait = pacer.delay(time.monotonic())
                        if wait > 0:
                            await asyncio.sleep(wait)
                    pacer.sent(len(chunk))
                    yield chunk.astype("<i2", copy=False).tobytes()
            finally:
                close = getattr(chunks, "close", None)
                try:
                    if close is not None:
                        close()  # closes the container; a read still running in its thread ends alone
                except ValueError:
                    pass
            loops += 1
            if not self._loop_forever or loops >= self._limit:
                return
            log.info("asr.source.looped source=%s loops=%d", self.source, loops)


async def open_source(
    source: str | Path,
    *,
    options: SourceOptions = SourceOptions(),
    realtime: bool = True,
    loop_forever: bool = False,
    max_loops: int | None = None,
) -> LiveSource:
    """Open ``source`` in a worker thread and return it with its metadata; its audio follows lazily, at
    real-time speed when ``realtime`` (a live HLS stream is real time by itself). With ``loop_forever`` a
    file restarts at its end (``make demo`` replays a meeting recording). Raises :class:`AudioError`."""
    first = await asyncio.to_thread(open_audio, source, options=options)
    return LiveSource(source, first, options=options, realtime=realtime, loop_forever=loop_forever,
                      max_loops=max_loops)


async def iter_source(
    source: str | Path,
    *,
    options: SourceOptions = SourceOptions(),
    realtime: bool = True,
    loop_forever: bool = False,
    max_loops: int | None = None,
) -> AsyncIterator[bytes]:
    """PCM16 little-endian bytes from ``source`` (:func:`open_source` without its metadata).

    Decoding runs in a worker thread, one chunk at a time, so the event loop never blocks on ffmpeg.
    """
    opened = await open_source(source, options=options, realtime=realtime, loop_forever=loop_forever,
                               max_loops=max_loops)
    async for pcm in opened:
        yield pcm
