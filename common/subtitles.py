"""Subtitle cues and files: WebVTT (browsers, HLS) and SRT (archives, editors), through webvtt-py and srt.

A leaf module (no project imports, no faster-whisper): the subtitle service writes recordings' files with
it and the gateway serves transcripts with it. Cue text is escaped for WebVTT (``&``, ``<``, ``>``) and
unescaped when reading back.
"""

from __future__ import annotations

import html
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import srt
import webvtt

__all__ = [
    "SUFFIXES",
    "Cue",
    "SubtitleFileError",
    "parse_srt",
    "parse_webvtt",
    "read_subtitles",
    "to_srt",
    "to_webvtt",
    "write_subtitles",
]

SUFFIXES = (".vtt", ".srt")


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: 1-based ``index``, start/end in seconds, 1..2 lines of text."""

    index: int
    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


class SubtitleFileError(ValueError):
    """A subtitle file cannot be read, parsed or named (the message says which file and what to do)."""


def _vtt_time(seconds: float) -> str:
    millis = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(cues: Sequence[Cue]) -> str:
    """WebVTT document of the cues (cue identifiers are the cue indices)."""
    document = webvtt.WebVTT()
    for cue in cues:
        document.captions.append(
            webvtt.Caption(
                _vtt_time(cue.start),
                _vtt_time(cue.end),
                [_escape(line) for line in cue.lines],
                identifier=str(cue.index),
            )
        )
    content = document.content
    return content if content.endswith("\n") else content + "\n"


def to_srt(cues: Sequence[Cue]) -> str:
    """SRT document of the cues."""
    subtitles = [
        srt.Subtitle(
            index=cue.index,
            start=timedelta(milliseconds=round(cue.start * 1000)),
            end=timedelta(milliseconds=round(cue.end * 1000)),
            content="\n".join(cue.lines),
        )
        for cue in cues
    ]
    return srt.compose(subtitles, reindex=False)


def _seconds(timestamp: webvtt.models.Timestamp) -> float:
    hours, minutes, secs, millis = timestamp.to_tuple()
    return (hours * 3_600_000 + minutes * 60_000 + secs * 1000 + millis) / 1000


def parse_webvtt(text: str, *, where: str = "<string>") -> list[Cue]:
    """Cues from a WebVTT document."""
    try:
        document = webvtt.from_buffer(io.StringIO(text))
    except Exception as exc:  # webvtt-py raises its own MalformedFileError and ValueErrors
        raise SubtitleFileError(
            f"{where}: not a valid WebVTT file ({exc}); check that it starts with 'WEBVTT'"
        ) from exc
    cues = []
    for number, caption in enumerate(document.captions, 1):
        index = int(caption.identifier) if caption.identifier and caption.identifier.isdigit() else number
        lines = tuple(html.unescape(line) for line in caption.lines)
        cues.append(Cue(index, _seconds(caption.start_time), _seconds(caption.end_time), lines))
    return cues


def parse_srt(text: str, *, where: str = "<string>") -> list[Cue]:
    """Cues from an SRT document."""
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        raise SubtitleFileError(f"{where}: not a valid SRT file ({exc})") from exc
    return [
        Cue(s.index, s.start.total_seconds(), s.end.total_seconds(), tuple(s.content.splitlines())) for s in subtitles
    ]


def _format_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SubtitleFileError(f"{path}: unknown subtitle format {suffix!r}; use a file name ending in .vtt or .srt")
    return suffix


def write_subtitles(cues: Sequence[Cue], path: Path | str) -> Path:
    """Write cues as WebVTT or SRT by the file suffix, atomically (temp file + rename)."""
    path = Path(path)
    suffix = _format_for(path)
    text = to_webvtt(cues) if suffix == ".vtt" else to_srt(cues)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_subtitles(path: Path | str) -> list[Cue]:
    """Read a .vtt or .srt file back into cues."""
    path = Path(path)
    suffix = _format_for(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SubtitleFileError(f"{path}: cannot read subtitle file ({exc.strerror})") from exc
    return parse_webvtt(text, where=str(path)) if suffix == ".vtt" else parse_srt(text, where=str(path))
