"""Recordings made when a livestream ends, sans-I/O: which segments to keep, and what the recording says.

The gateway's archiver (:mod:`channels.archiver`, the shell) listens to a stream's broker topic
``subtitles:{stream}``. Its signal is the subtitle service's own: ``subtitle.stream`` ``started`` opens a
:class:`LiveRecording`; ``ended`` or ``error`` closes it. The service sends ``ended`` after the last cue
of every kind of end (``EXT-X-ENDLIST``, an encoder that stopped and a playlist that went stale, a feed
that closed) and ``error`` when the source broke, so one signal covers them all, and the cues are complete
when it comes. The playlist alone could not say that: a stale playlist may only be a slow encoder.

While the stream runs, every playlist snapshot goes to :meth:`LiveRecording.take`, which names the
segments to copy now (a live playlist slides: a segment that is not copied while listed is gone). The
first kept segment is the one that holds the subtitle service's stream time 0 (``origin``, the program
date time of its first audio), or the live edge when the stream has no program date time. At the end
:meth:`LiveRecording.finish` returns a :class:`FinishedRecording`: the local VOD playlist of the kept
segments, the cues moved to video time (video time 0 is the first kept segment), and the German title,
date and description for ``sitzung.yml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from channels.recordings import RecordingInfo
from common.hls import HlsPlaylist, HlsSegment
from common.subtitles import Cue

__all__ = ["ArchiveOptions", "FinishedRecording", "KeptSegment", "LiveRecording", "recording_id", "vod_playlist"]

_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember")


@dataclass(frozen=True, slots=True)
class ArchiveOptions:
    """What a recording made from a livestream is called. ``title``: the list's heading, ``{stream}`` is
    replaced (None: "Livestream {stream}"); ``timezone``: the city's, for date and clock times."""

    title: str | None = None
    timezone: str = "Europe/Berlin"

    def title_for(self, stream: str) -> str:
        return (self.title or "Livestream {stream}").replace("{stream}", stream)


@dataclass(frozen=True, slots=True)
class KeptSegment:
    """A segment to keep: where it is, and its file name in the recording (``00000.ts``, ...)."""

    segment: HlsSegment
    name: str


@dataclass(frozen=True, slots=True)
class FinishedRecording:
    """Everything the archiver writes, in video time; ``id`` is the recording's folder and address."""

    id: str
    fallback_id: str  # when ``id`` is taken by another recording of the same minute
    stream: str
    info: RecordingInfo
    segments: tuple[KeptSegment, ...]
    cues: tuple[Cue, ...]
    playlist: str
    options: ArchiveOptions


def recording_id(stream: str, started: dt.datetime, *, seconds: bool = False) -> str:
    """``{stream}-YYYY-MM-DD-HHMM`` (``HHMMSS`` with ``seconds``) in local time: a valid stream id (at most
    64 characters), the same on every gateway that archives the same ``started`` event."""
    return f"{stream[:46]}-{started:%Y-%m-%d-%H%M}" + (f"{started:%S}" if seconds else "")


def _german_date(day: dt.datetime) -> str:
    return f"{day.day}. {_MONTHS[day.month - 1]} {day.year}"


@dataclass(slots=True)
class LiveRecording:
    """One stream's recording while it runs: feed it playlist snapshots and cues, then :meth:`finish`.

    ``started_s``: Unix time of the ``started`` event (the broker's clock); ``origin``: the stream's time 0
    (Unix seconds, from its program date time) or None."""

    stream: str
    started_s: float
    origin: float | None
    options: ArchiveOptions = field(default_factory=ArchiveOptions)
    lost_s: float = 0.0  # seconds of picture that left the playlist before they were copied
    _kept: list[KeptSegment] = field(default_factory=list, repr=False)
    _cues: list[tuple[float, float, tuple[str, ...]]] = field(default_factory=list, repr=False)
    _next: int | None = field(default=None, repr=False)

    def take(self, playlist: HlsPlaylist) -> list[KeptSegment]:
        """The segments of this snapshot to copy now, in order (each segment once)."""
        segments = playlist.segments
        if not segments:
            return []
        if self._next is None:
            self._next = self._first(segments).sequence
        if segments[0].sequence > self._next:  # the playlist slid past segments never copied
            self.lost_s += (segments[0].sequence - self._next) * playlist.target_duration
        fresh = [s for s in segments if s.sequence >= self._next]
        kept = [KeptSegment(s, f"{len(self._kept) + n:05d}.ts") for n, s in enumerate(fresh)]
        self._kept.extend(kept)
        if fresh:
            self._next = fresh[-1].sequence + 1
        return kept

    def _first(self, segments: Sequence[HlsSegment]) -> HlsSegment:
        if self.origin is not None:
            for segment in segments:
                if segment.program_date is not None and segment.program_date + segment.duration > self.origin:
                    return segment
        return segments[-1]  # no program date time: from the live edge, like the subtitle service

    def add_cue(self, start: float, end: float, lines: tuple[str, ...]) -> None:
        """A published cue, in stream time (seconds since ``origin``)."""
        self._cues.append((start, end, lines))

    @property
    def kept(self) -> tuple[KeptSegment, ...]:
        return tuple(self._kept)

    def offset(self) -> float:
        """Video time minus stream time: where stream time 0 lies in the first kept segment."""
        first = self._kept[0].segment if self._kept else None
        if first is None or first.program_date is None or self.origin is None:
            return 0.0
        return self.origin - first.program_date

    def finish(self, *, ended_s: float) -> FinishedRecording | None:
        """The recording, or None when no segment was kept (nothing to watch)."""
        if not self._kept:
            return None
        zone = ZoneInfo(self.options.timezone)
        started = dt.datetime.fromtimestamp(self.started_s, zone)
        ended = dt.datetime.fromtimestamp(max(ended_s, self.started_s), zone)
        shift = self.offset()
        cues: list[Cue] = []
        for start, end, lines in sorted(self._cues, key=lambda c: c[0]):
            if end + shift <= 0:
                continue  # before the first kept segment
            cues.append(Cue(len(cues) + 1, round(max(0.0, start + shift), 3), round(end + shift, 3), lines))
        description = (f"Automatisch aufgezeichnet am {_german_date(started)} von {started:%H:%M} bis "
                       f"{ended:%H:%M} Uhr. Die Untertitel sind automatisch erstellt und können Fehler enthalten.")
        info = RecordingInfo(title=self.options.title_for(self.stream), date=started.date(), description=description)
        return FinishedRecording(id=recording_id(self.stream, started), fallback_id=recording_id(self.stream, started,
                                                                                              seconds=True),
                                 stream=self.stream, info=info,
                                 segments=tuple(self._kept), cues=tuple(cues), playlist=vod_playlist(self._kept),
                                 options=self.options)


def vod_playlist(kept: Sequence[KeptSegment]) -> str:
    """A finished (VOD) HLS playlist over the kept segments' local names."""
    target = max((k.segment.duration for k in kept), default=1.0)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:VOD", f"#EXT-X-TARGETDURATION:{int(-(-target // 1))}",
             "#EXT-X-MEDIA-SEQUENCE:0"]
    previous: int | None = None
    for k in kept:
        if previous is not None and k.segment.sequence != previous + 1:
            lines.append("#EXT-X-DISCONTINUITY")  # segments were lost in between
        lines += [f"#EXTINF:{k.segment.duration:.3f},", k.name]
        previous = k.segment.sequence
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])
