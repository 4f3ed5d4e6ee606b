"""Recorded meetings with subtitles: the archive the gateway lists at ``/aufzeichnungen/``.

A city adds a recording as a folder in ``RATHAUS_RECORDINGS_DIR`` (docs/live.md, "Recorded meetings"):

```
recordings/
  rat-2026-09-15/          the folder name is the recording's id in its address (a stream id)
    sitzung.yml            title: Ratssitzung, date: 2026-09-15, optional description
    video.mp4              the meeting (or video.webm)
    untertitel.vtt         rathaus subtitles transcribe video.mp4 -o untertitel.vtt
```

:func:`scan` reads the folder: every complete recording with its duration (read from the video with PyAV
once per file version), newest first. A folder that lacks a file or whose ``sitzung.yml`` is not valid is
left out and logged with what to fix, so one editor's mistake never hides the other recordings.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.streams import valid_stream_id

__all__ = [
    "INFO_FILE", "SUBTITLE_FILE", "VIDEO_FILES", "Recording", "RecordingInfo", "RecordingView", "find_recording",
    "scan",
]

log = logging.getLogger(__name__)

INFO_FILE = "sitzung.yml"
SUBTITLE_FILE = "untertitel.vtt"
VIDEO_FILES = {"video.mp4": "video/mp4", "video.webm": "video/webm"}


class RecordingInfo(BaseModel):
    """``sitzung.yml``: what viewers read about a recording (German)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    date: dt.date
    description: str | None = Field(default=None, max_length=1000)


@dataclass(frozen=True, slots=True)
class Recording:
    """A complete recording: its id (folder name), what ``sitzung.yml`` says, its files and duration."""

    id: str
    info: RecordingInfo
    video: Path
    video_type: str
    subtitles: Path
    duration_s: float | None


class RecordingView(BaseModel):
    """A recording as ``/api/recordings`` describes it to the archive pages (v1)."""

    model_config = ConfigDict(frozen=True)

    v: int = 1
    id: str
    title: str
    date: dt.date
    description: str | None
    duration_s: float | None
    page: str
    video: str
    video_type: str
    vtt: str
    srt: str

    @classmethod
    def of(cls, recording: Recording) -> RecordingView:
        base = f"/aufzeichnungen/{recording.id}"
        return cls(id=recording.id, title=recording.info.title, date=recording.info.date,
                   description=recording.info.description, duration_s=recording.duration_s, page=base,
                   video=f"{base}/video", video_type=recording.video_type, vtt=f"{base}/untertitel.vtt",
                   srt=f"{base}/untertitel.srt")


def _read_info(path: Path) -> RecordingInfo | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return RecordingInfo.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        log.warning("channels.recordings.skipped file=%s error=%s", path, exc)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        log.warning("channels.recordings.skipped file=%s problems=%s (fields: title, date YYYY-MM-DD, "
                    "description)", path, problems)
    return None


@lru_cache(maxsize=256)
def _duration(path: Path, mtime_ns: int, size: int) -> float | None:
    """Seconds of the video (keyed by its version, so a replaced file is read again); None if unreadable."""
    import av  # PyAV reads the container's header only

    try:
        with av.open(str(path)) as container:
            return float(container.duration / av.time_base) if container.duration is not None else None
    except av.error.FFmpegError as exc:
        log.warning("channels.recordings.duration_unknown file=%s error=%s", path, exc)
        return None


def _recording(folder: Path) -> Recording | None:
    if not valid_stream_id(folder.name):
        log.warning("channels.recordings.skipped folder=%s: the name must be letters, digits, '.', '_', '-'",
                    folder)
        return None
    video = next((folder / name for name in VIDEO_FILES if (folder / name).is_file()), None)
    missing = [name for name, ok in ((INFO_FILE, (folder / INFO_FILE).is_file()),
                                     ("video.mp4 or video.webm", video is not None),
                                     (SUBTITLE_FILE, (folder / SUBTITLE_FILE).is_file())) if not ok]
    if missing:
        log.warning("channels.recordings.skipped folder=%s missing=%s", folder, ", ".join(missing))
        return None
    assert video is not None
    info = _read_info(folder / INFO_FILE)
    if info is None:
        return None
    stat = video.stat()
    return Recording(id=folder.name, info=info, video=video, video_type=VIDEO_FILES[video.name],
                     subtitles=folder / SUBTITLE_FILE, duration_s=_duration(video, stat.st_mtime_ns, stat.st_size))


def scan(root: Path) -> list[Recording]:
    """The complete recordings in ``root``, newest first (then by title). Blocking: run it in a thread."""
    if not root.is_dir():
        log.warning("channels.recordings.no_folder path=%s (RATHAUS_RECORDINGS_DIR)", root)
        return []
    # hidden folders are not recordings: the archiver builds in ".{id}.partial" and renames when complete
    found = [r for folder in sorted(root.iterdir())
             if folder.is_dir() and not folder.name.startswith(".") and (r := _recording(folder)) is not None]
    return sorted(found, key=lambda r: (-r.info.date.toordinal(), r.info.title))


def find_recording(root: Path, recording_id: str) -> Recording | None:
    """The listed recording with this id in ``root``, or None (scans the folder: run it in a thread)."""
    return next((recording for recording in scan(root) if recording.id == recording_id), None)
