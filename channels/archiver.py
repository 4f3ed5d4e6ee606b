"""The archiver: when a livestream ends, its recording appears on ``/aufzeichnungen/`` by itself.

The shell around :mod:`channels.archive` (which decides what to keep and what the recording says). Per
archived stream one task follows the broker topic ``subtitles:{stream}`` (reconnecting with backoff). On
``started`` it starts copying the stream's HLS segments as the playlist lists them (from
``RATHAUS_HLS_DIR`` when the playlist is served from there, else over HTTP from ``RATHAUS_HLS_URL``); cues
are collected as they are published. On ``ended``/``error`` it copies the last segments and builds the
recording in a hidden folder ``.{id}.partial`` inside ``RATHAUS_RECORDINGS_DIR``:

- ``video.mp4``: the kept segments remuxed by ffmpeg without re-encoding (``-c copy``; seconds for an
  hour), so every browser plays it natively and the player can seek with range requests;
- ``untertitel.vtt``: the stream's published cues, moved to video time; ``sitzung.yml``: title, date and
  a German description.

Only then is the folder renamed to its final name (``{stream}-YYYY-MM-DD-HHMM``), atomically: the list
never shows a half-written recording. A crash leaves a hidden ``.partial`` folder that is never listed
and is removed when the archiver next starts (if untouched for an hour). Two gateways that both archive
the same stream race for the same final name; the rename of the second fails and it discards its copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from channels.archive import ArchiveOptions, FinishedRecording, KeptSegment, LiveRecording
from channels.broker import Broker
from channels.broker.base import parse_id
from channels.errors import ConfigError
from channels.fanout import topic_for
from channels.messages import SubtitleCue, SubtitleStream
from channels.recordings import INFO_FILE, SUBTITLE_FILE
from channels.settings import GatewaySettings
from common.hls import HlsPlaylist, PlaylistError, parse_playlist
from common.subtitles import write_subtitles

__all__ = ["Archiver", "ArchiverOptions", "archiver_from_settings", "playlist_location"]

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"
STALE_PARTIAL_S = 3600.0
RESUME_HISTORY = 10_000  # cues of a running stream read back at start (a cue every 2-3 s: hours)
RESUME_WITHIN_S = 12 * 3600.0


@dataclass(frozen=True, slots=True)
class ArchiverOptions:
    """Where recordings go and where the livestream is read. ``playlist``: the playlist's location with
    ``{stream}`` (a file path or an http(s) URL, :func:`playlist_location`)."""

    root: Path
    playlist: str
    streams: tuple[str, ...]
    archive: ArchiveOptions = ArchiveOptions()
    poll_s: float = 1.0
    fetch_timeout_s: float = 10.0
    ffmpeg_timeout_s: float = 1800.0


def playlist_location(hls_url: str, hls_dir: Path | None) -> str | None:
    """Where the archiver reads the playlist: a file below ``hls_dir`` when the gateway serves the
    playlist from there itself (``/hls/...``), else ``hls_url`` when it is absolute; None otherwise."""
    path = urlsplit(hls_url).path
    if hls_dir is not None and path.startswith("/hls/") and not urlsplit(hls_url).netloc:
        return str(hls_dir / path.removeprefix("/hls/"))
    if hls_url.startswith(("http://", "https://")):
        return hls_url
    return None


def _read(uri: str, timeout_s: float) -> bytes:
    """Blocking: the bytes of a playlist or segment, from a URL or a file."""
    if uri.startswith(("http://", "https://")):
        with urllib.request.urlopen(uri, timeout=timeout_s) as response:  # noqa: S310 - the operator's URL
            data: bytes = response.read()
            return data
    return Path(uri).read_bytes()


class Archiver:
    """Follows each stream of ``options.streams`` and archives it when it ends. :meth:`run` until cancelled."""

    def __init__(self, broker: Broker, options: ArchiverOptions) -> None:
        self._broker = broker
        self.options = options

    async def run(self) -> None:
        await asyncio.to_thread(self._remove_stale_partials)
        async with asyncio.TaskGroup() as group:
            for stream in self.options.streams:
                group.create_task(self._follow(stream), name=f"archiver-{stream}")

    # -------------------------------------------------------------------------------------- broker
    async def _follow(self, stream: str) -> None:
        """The stream's topic, live, reconnecting after a broker failure without losing a message."""
        recording, since = await self._resume(stream)
        delay = 0.5
        while True:
            try:
                async with self._broker.subscribe(topic_for(stream), since=since) as events:
                    delay = 0.5
                    async for envelope in events:
                        since = envelope.id if envelope.durable else since
                        recording = await self._on(stream, envelope.id, envelope.message, recording)
            except asyncio.CancelledError:
                if recording is not None:
                    await recording.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - the broker reconnects; the archiver must not die
                log.warning("channels.archiver.broker_failed stream=%s retry_in=%.1fs error=%s", stream, delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _resume(self, stream: str) -> tuple[_Running | None, str]:
        """A stream that is running when the gateway starts (a restart): recorded from the segments still in
        its playlist, with every cue since its start (cue times stay right: they count from its origin)."""
        while True:
            try:
                history = await self._broker.history(topic_for(stream), count=RESUME_HISTORY)
                break
            except Exception as exc:  # noqa: BLE001 - wait for the broker like the fan-out does
                log.warning("channels.archiver.broker_failed stream=%s error=%s", stream, exc)
                await asyncio.sleep(2.0)
        since = history[-1].id if history else "0-0"  # "0-0": whatever arrives from now on
        starts = [i for i, e in enumerate(history) if isinstance(e.message, SubtitleStream)]
        if not starts:
            return None, since
        last = history[starts[-1]]
        started_s = parse_id(last.id)[0] / 1000
        if not (isinstance(last.message, SubtitleStream) and last.message.state == "started") or (
                time.time() - started_s > RESUME_WITHIN_S):
            return None, since  # ended, or a start so old that its service must have died without a word
        running = self._start(stream, started_s=started_s, origin=last.message.origin)
        for envelope in history[starts[-1] + 1:]:
            if isinstance(envelope.message, SubtitleCue):
                running.recording.add_cue(envelope.message.start, envelope.message.end, envelope.message.lines)
        log.info("channels.archiver.resumed stream=%s cues=%d", stream, len(history) - starts[-1] - 1)
        return running, since

    async def _on(self, stream: str, msg_id: str, message: object, running: _Running | None) -> _Running | None:
        if isinstance(message, SubtitleCue) and running is not None:
            running.recording.add_cue(message.start, message.end, message.lines)
        elif isinstance(message, SubtitleStream) and message.state == "started":
            if running is not None:  # a new start without an end: keep what the old one has
                await self._close(running, ended_s=parse_id(msg_id)[0] / 1000)
            return self._start(stream, started_s=parse_id(msg_id)[0] / 1000, origin=message.origin)
        elif isinstance(message, SubtitleStream) and running is not None:  # ended or error
            await self._close(running, ended_s=parse_id(msg_id)[0] / 1000)
            return None
        return running

    def _start(self, stream: str, *, started_s: float, origin: float | None) -> _Running:
        recording = LiveRecording(stream, started_s=started_s, origin=origin, options=self.options.archive)
        folder = self.options.root / f".{stream}-{int(started_s * 1000)}{PARTIAL_SUFFIX}"
        log.info("channels.archiver.started stream=%s origin=%s folder=%s", stream, origin, folder)
        running = _Running(recording, folder, self.options.playlist.replace("{stream}", stream), self.options)
        running.task = asyncio.create_task(running.copy_while_live(), name=f"archiver-copy-{stream}")
        return running

    async def _close(self, running: _Running, *, ended_s: float) -> None:
        await running.stop()
        with contextlib.suppress(Exception):
            await running.copy_once()  # the segments after the last poll (the encoder's last ones)
        finished = running.recording.finish(ended_s=ended_s)
        if finished is None:
            log.warning("channels.archiver.nothing_kept stream=%s: no segment of %s could be read",
                        running.recording.stream, running.playlist)
            await asyncio.to_thread(shutil.rmtree, running.folder, True)
            return
        try:
            await asyncio.to_thread(_build, finished, running.folder, self.options)
        except Exception as exc:  # noqa: BLE001 - the temp folder goes, the stream's next start is unaffected
            log.error("channels.archiver.failed stream=%s id=%s error=%s", finished.stream, finished.id, exc)
            await asyncio.to_thread(shutil.rmtree, running.folder, True)

    def _remove_stale_partials(self) -> None:
        root = self.options.root
        root.mkdir(parents=True, exist_ok=True)
        for folder in root.glob(f".*{PARTIAL_SUFFIX}"):
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > STALE_PARTIAL_S:
                    shutil.rmtree(folder)
                    log.warning("channels.archiver.partial_removed folder=%s (left by a crash)", folder)


class _Running:
    """A stream being recorded: its core state, its hidden folder, and the task copying its segments."""

    def __init__(self, recording: LiveRecording, folder: Path, playlist: str, options: ArchiverOptions) -> None:
        self.recording = recording
        self.folder = folder
        self.playlist = playlist
        self.options = options
        self.task: asyncio.Task[None] | None = None

    async def copy_while_live(self) -> None:
        """Poll the playlist and copy new segments until stopped; a failed poll is retried."""
        while True:
            try:
                await self.copy_once()
            except (OSError, PlaylistError) as exc:
                log.warning("channels.archiver.poll_failed playlist=%s error=%s", self.playlist, exc)
            await asyncio.sleep(self.options.poll_s)

    async def copy_once(self) -> None:
        text = await asyncio.to_thread(_read, self.playlist, self.options.fetch_timeout_s)
        playlist: HlsPlaylist = parse_playlist(text.decode("utf-8", "replace"), self.playlist)
        if playlist.init_section:
            raise PlaylistError(f"{self.playlist}: fMP4 segments (EXT-X-MAP) are not archived; use MPEG-TS segments")
        lost = self.recording.lost_s
        kept = self.recording.take(playlist)
        if self.recording.lost_s > lost:
            log.warning("channels.archiver.segments_lost stream=%s seconds=%.1f", self.recording.stream,
                        self.recording.lost_s - lost)
        for segment in kept:
            await asyncio.to_thread(self._copy, segment)

    def _copy(self, kept: KeptSegment) -> None:
        target = self.folder / "segments" / kept.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_read(kept.segment.uri, self.options.fetch_timeout_s))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def cancel(self) -> None:
        await self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)  # at shutdown: quick, and nothing else runs any more
        log.warning("channels.archiver.interrupted stream=%s: the gateway stopped before the stream ended; "
                    "this stream is not archived", self.recording.stream)


def _build(finished: FinishedRecording, folder: Path, options: ArchiverOptions) -> None:
    """Blocking: write the recording into its hidden folder, remux the video, then rename it into place."""
    segments = folder / "segments"
    playlist = segments / "index.m3u8"
    playlist.write_text(finished.playlist, encoding="utf-8")
    video = folder / "video.mp4"
    result = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(playlist), "-map", "0:v?", "-map", "0:a?",
         "-c", "copy", "-bsf:a", "aac_adtstoasc", "-movflags", "+faststart", str(video)],
        capture_output=True, text=True, timeout=options.ffmpeg_timeout_s, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not remux {playlist}: {result.stderr.strip()[-500:]}")
    write_subtitles(finished.cues, folder / SUBTITLE_FILE)
    try:
        info = yaml.safe_dump(finished.info.model_dump(mode="json", exclude_none=True), allow_unicode=True,
                              sort_keys=False)
    except ValidationError as exc:  # pragma: no cover - the core builds a valid RecordingInfo
        raise RuntimeError(f"recording info not valid: {exc}") from exc
    (folder / INFO_FILE).write_text(info, encoding="utf-8")
    shutil.rmtree(segments)
    target = options.root / finished.id
    if target.exists():  # a recording of the same minute: the name with seconds (the same on every gateway)
        target = options.root / finished.fallback_id
    os.rename(folder, target)  # atomic: listed complete or not at all; fails if another gateway was first
    log.info("channels.archiver.archived stream=%s id=%s segments=%d cues=%d", finished.stream, target.name,
             len(finished.segments), len(finished.cues))


def archiver_from_settings(settings: GatewaySettings, broker: Broker) -> Archiver | None:
    """The default city's archiver when ``RATHAUS_ARCHIVE_LIVE`` is on (its streams' topics are unprefixed)."""
    if not settings.archive_live:
        return None
    assert settings.recordings_dir is not None and settings.hls_url is not None  # checked by the settings
    playlist = playlist_location(settings.hls_url, settings.hls_dir)
    if playlist is None:
        raise ConfigError(f"RATHAUS_ARCHIVE_LIVE: cannot read the livestream {settings.hls_url!r}; set RATHAUS_HLS_URL "
                          "to an absolute http(s) URL, or serve it from RATHAUS_HLS_DIR at /hls/")
    return Archiver(broker, ArchiverOptions(
        root=settings.recordings_dir, playlist=playlist,
        streams=settings.archive_streams or (settings.default_stream,),
        archive=ArchiveOptions(title=settings.archive_title, timezone=settings.timezone),
    ))
