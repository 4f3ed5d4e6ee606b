"""The demo's livestream encoder: agenda slides timed by the recording's words, and the ffmpeg command."""

from __future__ import annotations

from pathlib import Path

import pytest

from rathaus.demo import COUNCIL_TEXT
from rathaus.demo_stream import AGENDA, ffmpeg_args, slides, write_slides


def test_each_agenda_slide_starts_when_the_chair_calls_its_item() -> None:
    agenda = slides(COUNCIL_TEXT, 60.0)
    assert [s.text for s in agenda] == [text for text, _ in AGENDA]
    assert agenda[0].start == 0.0 and agenda[-1].end == 60.0
    assert all(a.end == b.start for a, b in zip(agenda, agenda[1:], strict=False))  # no gap, no overlap
    third = COUNCIL_TEXT.index("Wir kommen zu Tagesordnungspunkt drei") / len(COUNCIL_TEXT) * 60.0
    assert agenda[1].start == pytest.approx(third, abs=0.01)


def test_the_encoder_writes_a_live_playlist_with_program_date_time(tmp_path: Path) -> None:
    agenda = slides(COUNCIL_TEXT, 60.0)
    files = write_slides(tmp_path / "slides", agenda)
    assert (tmp_path / "slides" / "slide1.txt").read_text(encoding="utf-8") == "TOP 3: Bebauungsplan „Am Stadtpark“"
    assert len(files) == 2 + len(agenda)
    args = ffmpeg_args(recording=tmp_path / "r.wav", duration=60.0, slide_dir=tmp_path / "slides", agenda=agenda,
                       playlist=tmp_path / "hls" / "rat" / "index.m3u8")
    assert args.count("-re") == 2  # picture and sound at real time, like a camera
    flags = args[args.index("-hls_flags") + 1]
    assert "program_date_time" in flags and "delete_segments" in flags
    assert args[args.index("-hls_time") + 1] == "2" and args[-1].endswith("index.m3u8")
    graph = args[args.index("-filter_complex") + 1]
    assert graph.count("drawtext=") == 2 + len(agenda) and "between(mod(t\\,60.000)\\," in graph
