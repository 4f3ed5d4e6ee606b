"""HLS livestreams as a subtitle source, sans-I/O: which segment to read next, and when stream time 0 was.

A city's livestream is an HLS media playlist whose segments carry ``EXT-X-PROGRAM-DATE-TIME``: the
wall-clock time of their first frame. The viewer's player knows the program date time of the picture it
shows; if the subtitle service announces the program date time of its stream time 0 (``origin``), the
player shows each cue when its words are spoken in the picture (docs/live.md).

So the service reads the playlist itself instead of handing the URL to ffmpeg's HLS demuxer (which hides
the program date time): :func:`parse_playlist` (:mod:`common.hls`, shared with the gateway's
archiver) turns a playlist snapshot into :class:`HlsPlaylist`, and
:class:`HlsCursor` says, snapshot by snapshot, which segments to read in order and how much audio was lost
when the reader fell behind the playlist (:class:`Gap`; the shell inserts that much silence, so stream
time keeps matching the program date time). The shell that fetches and decodes is
:func:`asr.live.sources.read_hls_chunks`.

Like a player, the cursor starts near the live edge of a live playlist (``start_segments`` from the end)
and at the first segment of a finished one (``EXT-X-ENDLIST``: a recording is read whole).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asr.errors import AudioError
from common.hls import HlsPlaylist, HlsSegment, PlaylistError
from common.hls import parse_playlist as _parse

__all__ = ["Gap", "HlsCursor", "parse_playlist"]


@dataclass(frozen=True, slots=True)
class Gap:
    """Audio the reader never got (segments that left the playlist before they were read), in seconds."""

    seconds: float


def parse_playlist(text: str, url: str) -> HlsPlaylist:
    """Parse one playlist snapshot fetched from ``url`` (:func:`common.hls.parse_playlist`); a text that is
    not a playlist raises :class:`~asr.errors.AudioError` like every other unreadable source."""
    try:
        return _parse(text, url)
    except PlaylistError as exc:
        raise AudioError(str(exc)) from exc


@dataclass(slots=True)
class HlsCursor:
    """Reads a live media playlist in order, one snapshot after another.

    :meth:`advance` takes a snapshot and returns what to do with it, in order: segments to read and gaps
    to fill. :attr:`origin` is the program date of the first segment read (``None`` when the playlist has
    no ``EXT-X-PROGRAM-DATE-TIME``): the Unix time of stream time 0.
    """

    start_segments: int = 1
    origin: float | None = None
    _next: int | None = None
    _last: HlsSegment | None = field(default=None, repr=False)

    def advance(self, playlist: HlsPlaylist) -> list[HlsSegment | Gap]:
        segments = playlist.segments
        if not segments:
            return []
        if self._next is None:
            first = 0 if playlist.ended else max(0, len(segments) - max(1, self.start_segments))
            self._next = segments[first].sequence
            self.origin = segments[first].program_date
        steps: list[HlsSegment | Gap] = []
        if segments[0].sequence > self._next:  # fell behind: these segments are gone
            steps.append(Gap(self._lost(segments[0], missing=segments[0].sequence - self._next,
                                        target=playlist.target_duration)))
            self._next = segments[0].sequence
        for segment in segments:
            if segment.sequence >= self._next:
                steps.append(segment)
                self._next = segment.sequence + 1
                self._last = segment
        return steps

    def _lost(self, resumed: HlsSegment, *, missing: int, target: float) -> float:
        """Seconds between the last segment read and the next one: by program date when both have one."""
        last = self._last
        if last is not None and last.program_date is not None and resumed.program_date is not None:
            return max(0.0, resumed.program_date - (last.program_date + last.duration))
        return missing * target
