"""The demo's livestream: ffmpeg turns the synthetic council recording into an HLS live stream, like a
city's encoder does with its camera and microphone.

The picture is a generated slide: the meeting's title, the agenda item being discussed (it changes when
the chair calls the next item in the recording) and a clock; the sound is the recording, looped. ffmpeg
writes a sliding live playlist with ``EXT-X-PROGRAM-DATE-TIME`` (2 s segments) into a folder the gateway
serves at ``/hls/`` (``RATHAUS_HLS_DIR``); the subtitle service reads the same URL (``--source``).

Pure functions build the slide texts and the ffmpeg command; the demo shell runs it.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AGENDA", "Slide", "ffmpeg_args", "recording_args", "recording_seconds", "slides", "write_slides"]

#: (what the slide says, the words in the recording that start it; None: from the beginning)
AGENDA: tuple[tuple[str, str | None], ...] = (
    ("TOP 1: Eröffnung der Sitzung", None),
    ("TOP 3: Bebauungsplan „Am Stadtpark“", "Wir kommen zu Tagesordnungspunkt drei"),
    ("TOP 4: Haushaltssatzung", "Tagesordnungspunkt vier"),
)
TITLE = "Ratssitzung Musterstadt · öffentliche Sitzung"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core, which ffmpeg pulls in


@dataclass(frozen=True, slots=True)
class Slide:
    """One agenda slide, shown from ``start`` to ``end`` seconds of each pass of the recording."""

    text: str
    start: float
    end: float


def recording_seconds(recording: Path) -> float:
    with wave.open(str(recording), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def slides(spoken: str, duration: float) -> list[Slide]:
    """The agenda slides over one pass of the recording, each starting when its words are spoken (by
    their position in the text: the synthetic voice speaks at an even pace)."""
    starts = [0.0 if phrase is None else spoken.index(phrase) / len(spoken) * duration for _, phrase in AGENDA]
    ends = [*starts[1:], duration]
    return [Slide(text, round(a, 2), round(b, 2)) for (text, _), a, b in zip(AGENDA, starts, ends, strict=True)]


def write_slides(folder: Path, agenda: list[Slide]) -> list[Path]:
    """drawtext reads its text from files: no escaping of quotes, colons and commas in a filter graph."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / "title.txt", folder / "clock.txt"]
    files[0].write_text(TITLE, encoding="utf-8")
    files[1].write_text("%{localtime:%H\\:%M\\:%S}", encoding="utf-8")
    for n, slide in enumerate(agenda):
        path = folder / f"slide{n}.txt"
        path.write_text(slide.text, encoding="utf-8")
        files.append(path)
    return files


def _draw(textfile: Path, *, font: str, size: int, x: str, y: str, enable: str | None = None) -> str:
    parts = [f"fontfile={FONT_DIR / font}", f"textfile={textfile}", f"fontsize={size}", "fontcolor=white",
             f"x={x}", f"y={y}"]
    if enable:
        parts.append(f"enable='{enable}'")
    return "drawtext=" + ":".join(parts)


def _picture(*, duration: float, slide_dir: Path, agenda: list[Slide]) -> str:
    """The filter graph of the picture: title, clock and the agenda slide of the moment."""
    draws = [
        _draw(slide_dir / "title.txt", font="DejaVuSans.ttf", size=24, x="30", y="28"),
        _draw(slide_dir / "clock.txt", font="DejaVuSansMono.ttf", size=28, x="w-tw-30", y="h-th-26"),
    ]
    for n, slide in enumerate(agenda):
        # commas inside a filter's option must be escaped for the filter graph parser
        enable = f"between(mod(t\\,{duration:.3f})\\,{slide.start:.2f}\\,{slide.end:.2f})"
        draws.append(_draw(slide_dir / f"slide{n}.txt", font="DejaVuSans-Bold.ttf", size=24, x="30", y="(h-th)/2",
                           enable=enable))
    return f"[0:v]{','.join(draws)}[v]"


_FPS = 10
_ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1", "-b:a", "64k"]


def ffmpeg_args(
    *, recording: Path, duration: float, slide_dir: Path, agenda: list[Slide], playlist: Path, segment_s: int = 2
) -> list[str]:
    """The ffmpeg command of the live encoder: 640x360 at 10 fps (H.264) plus the looped recording (AAC),
    in real time (``-re``), as a sliding HLS playlist of ``segment_s`` segments with program date time."""
    return [
        "ffmpeg", "-nostdin", "-loglevel", "warning",
        "-re", "-f", "lavfi", "-i", f"color=c=0x1d3557:s=640x360:r={_FPS}",
        "-re", "-stream_loop", "-1", "-i", str(recording),
        "-filter_complex", _picture(duration=duration, slide_dir=slide_dir, agenda=agenda),
        "-map", "[v]", "-map", "1:a", *_ENCODE, "-tune", "zerolatency",
        "-g", str(_FPS * segment_s), "-sc_threshold", "0",
        "-f", "hls", "-hls_time", str(segment_s), "-hls_list_size", "15",
        "-hls_flags", "delete_segments+program_date_time+independent_segments+temp_file",
        "-hls_segment_filename", str(playlist.parent / "seg%05d.ts"), str(playlist),
    ]


def recording_args(*, recording: Path, duration: float, slide_dir: Path, agenda: list[Slide], video: Path) -> list[str]:
    """The same picture and sound once through, as fast as ffmpeg can, into an MP4 for the archive."""
    return [
        "ffmpeg", "-nostdin", "-loglevel", "warning", "-y",
        "-f", "lavfi", "-i", f"color=c=0x1d3557:s=640x360:r={_FPS}", "-i", str(recording),
        "-filter_complex", _picture(duration=duration, slide_dir=slide_dir, agenda=agenda),
        "-map", "[v]", "-map", "1:a", *_ENCODE, "-t", f"{duration:.3f}", "-movflags", "+faststart", str(video),
    ]
