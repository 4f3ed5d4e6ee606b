"""HLS media playlists, sans-I/O: a playlist snapshot as frozen values (segments with program date time).

Two readers share it: the subtitle service reads a livestream's audio segment by segment
(:mod:`asr.live.hls`), and the gateway's archiver keeps the same segments to make the recording when the
stream ends (:mod:`channels.archive`). Parsing is the ``m3u8`` library's; this module only names what both
need and says what is wrong with a playlist that is not one.
"""

from __future__ import annotations

from dataclasses import dataclass

import m3u8

__all__ = ["HlsPlaylist", "HlsSegment", "PlaylistError", "is_hls", "parse_playlist"]


class PlaylistError(ValueError):
    """The text is not an HLS playlist (the message names the URL and what to check)."""


def is_hls(source: str) -> bool:
    """An ``http(s)://`` URL of an HLS playlist (its path ends in ``.m3u8``)."""
    lowered = source.lower()
    return lowered.startswith(("http://", "https://")) and lowered.split("?", 1)[0].endswith(".m3u8")


@dataclass(frozen=True, slots=True)
class HlsSegment:
    """One media segment: absolute URI, media sequence number, duration and program date (Unix seconds)."""

    uri: str
    sequence: int
    duration: float
    program_date: float | None


@dataclass(frozen=True, slots=True)
class HlsPlaylist:
    """A snapshot of a playlist. A master playlist has no segments but ``variant``: the media playlist to
    read instead (the first one listed, which carries the programme's audio like every other)."""

    segments: tuple[HlsSegment, ...]
    target_duration: float
    ended: bool
    variant: str | None = None
    init_section: bool = False  # fMP4 segments need an init segment: read through ffmpeg instead


def parse_playlist(text: str, url: str) -> HlsPlaylist:
    """Parse one playlist snapshot fetched from ``url`` (relative segment URIs become absolute)."""
    if not text.lstrip().startswith("#EXTM3U"):
        raise PlaylistError(f"{url!r} is not an HLS playlist (no #EXTM3U header); check the stream URL")
    playlist = m3u8.loads(text, uri=url)
    if playlist.is_variant:
        if not playlist.playlists:
            raise PlaylistError(f"HLS master playlist {url!r} lists no media playlist")
        return HlsPlaylist(segments=(), target_duration=0.0, ended=False, variant=playlist.playlists[0].absolute_uri)
    segments = tuple(
        HlsSegment(
            uri=s.absolute_uri,
            sequence=int(s.media_sequence),
            duration=float(s.duration or 0.0),
            program_date=s.current_program_date_time.timestamp() if s.current_program_date_time else None,
        )
        for s in playlist.segments
    )
    return HlsPlaylist(
        segments=segments,
        target_duration=float(playlist.target_duration or 0.0),
        ended=bool(playlist.is_endlist),
        init_section=any(s.init_section is not None for s in playlist.segments),
    )
