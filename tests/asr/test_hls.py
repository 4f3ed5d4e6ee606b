"""HLS livestreams as a source: the cursor (data only), and the reader against real ffmpeg segments served
over HTTP: stream time 0 is announced as the program date time of the first segment read, and segments
lost from a sliding playlist become silence of their length."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from asr.errors import AudioError
from asr.live.hls import Gap, HlsCursor, parse_playlist
from asr.live.sources import SourceOptions, open_audio, read_hls_chunks
from common.hls import HlsSegment, is_hls
from tests.fixtures.services import free_port

URL = "http://cdn.example/rat/index.m3u8"


def _playlist(first: int, count: int, *, start: float = 1_800_000_000.0, ended: bool = False,
              duration: float = 2.0) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{duration:g}", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
    for n in range(first, first + count):
        stamp = datetime.fromtimestamp(start + n * duration).astimezone().isoformat(timespec="milliseconds")
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{stamp}", f"#EXTINF:{duration:.3f},", f"seg{n}.ts"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _names(steps: list[HlsSegment | Gap]) -> list[str]:
    return [s.uri.rsplit("/", 1)[1] if isinstance(s, HlsSegment) else f"gap {s.seconds:g}" for s in steps]


def test_a_live_playlist_is_read_from_its_newest_segment_and_origin_is_its_program_date() -> None:
    cursor = HlsCursor()
    assert _names(cursor.advance(parse_playlist(_playlist(10, 5), URL))) == ["seg14.ts"]
    assert cursor.origin == pytest.approx(1_800_000_000.0 + 14 * 2.0)
    assert _names(cursor.advance(parse_playlist(_playlist(10, 5), URL))) == []  # nothing new: nothing twice
    assert _names(cursor.advance(parse_playlist(_playlist(11, 6), URL))) == ["seg15.ts", "seg16.ts"]
    assert cursor.origin == pytest.approx(1_800_000_028.0)  # stays: it is stream time 0


def test_start_segments_go_back_from_the_live_edge_and_a_finished_playlist_is_read_whole() -> None:
    cursor = HlsCursor(start_segments=3)
    assert _names(cursor.advance(parse_playlist(_playlist(0, 5), URL))) == ["seg2.ts", "seg3.ts", "seg4.ts"]
    recording = HlsCursor()
    assert _names(recording.advance(parse_playlist(_playlist(0, 3, ended=True), URL))) == [
        "seg0.ts", "seg1.ts", "seg2.ts"
    ]
    assert recording.origin == pytest.approx(1_800_000_000.0)


def test_segments_that_left_the_playlist_unread_become_a_gap_of_their_length() -> None:
    cursor = HlsCursor()
    cursor.advance(parse_playlist(_playlist(0, 2), URL))  # reads seg1
    steps = cursor.advance(parse_playlist(_playlist(5, 2), URL))  # seg2..seg4 are gone
    assert _names(steps) == ["gap 6", "seg5.ts", "seg6.ts"]


def test_without_program_date_time_there_is_no_origin_and_gaps_count_target_durations() -> None:
    plain = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:{0}\n#EXTINF:4,\na{0}.ts\n"
    cursor = HlsCursor()
    assert _names(cursor.advance(parse_playlist(plain.format(3), URL))) == ["a3.ts"]
    assert cursor.origin is None
    assert _names(cursor.advance(parse_playlist(plain.format(6), URL))) == ["gap 8", "a6.ts"]


def test_a_master_playlist_names_its_first_variant_and_other_text_is_refused() -> None:
    master = ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n"
              "#EXT-X-STREAM-INF:BANDWIDTH=2000000\nhi.m3u8\n")
    assert parse_playlist(master, URL).variant == "http://cdn.example/rat/low/index.m3u8"
    with pytest.raises(AudioError, match="not an HLS playlist"):
        parse_playlist("<html>404</html>", URL)
    assert is_hls(URL) and is_hls("https://x/live.M3U8?token=1")
    assert not is_hls("rtmp://x/live.m3u8") and not is_hls("/srv/rat/index.m3u8")


# ------------------------------------------------------------------------------------- real segments
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the library's name
        return None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on loopback (a city's static web server)."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _segments(folder: Path, seconds: int) -> list[str]:
    """ffmpeg's own HLS segments (H.264 + AAC in MPEG-TS, 1 s each) of a 440 Hz tone."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-c:a", "aac", "-f", "hls", "-hls_time", "1",
         "-hls_playlist_type", "vod", "-hls_segment_filename", str(folder / "seg%d.ts"),
         str(folder / "ffmpeg.m3u8")],
        check=True, timeout=60,
    )
    return sorted((p.name for p in folder.glob("seg*.ts")), key=lambda n: int(n[3:-3]))


def test_a_recording_over_http_is_read_whole_with_the_first_segment_as_origin(served: tuple[Path, str]) -> None:
    folder, base = served
    _segments(folder, 4)
    playlist = (folder / "ffmpeg.m3u8").read_text(encoding="utf-8")
    first = parse_playlist(playlist, f"{base}/ffmpeg.m3u8").segments[0]
    opened = open_audio(f"{base}/ffmpeg.m3u8", options=SourceOptions(chunk_s=0.5))
    assert opened.origin is None and not opened.live  # ffmpeg wrote no program date time here
    pcm = np.concatenate(list(opened.chunks))
    assert len(pcm) / 16_000 == pytest.approx(4.0, abs=0.1)  # no sample lost or doubled at the boundaries
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float32)))
    assert np.argmax(spectrum) * 16_000 / pcm.size == pytest.approx(440, abs=5)
    assert first.program_date is None


def test_a_live_playlist_announces_its_origin_and_fills_what_it_missed_with_silence(
    served: tuple[Path, str],
) -> None:
    folder, base = served
    names = _segments(folder, 6)
    assert len(names) >= 6
    # the encoder's sliding playlist, snapshot by snapshot: seg0-1 live, then seg4-5 and the end
    (folder / "index.m3u8").write_text(_playlist(0, 2, duration=1.0), encoding="utf-8")
    opened = read_hls_chunks(f"{base}/index.m3u8", options=SourceOptions(chunk_s=0.1))
    assert opened.origin == pytest.approx(1_800_000_001.0)  # seg1, the newest: stream time 0
    assert opened.live
    (folder / "index.m3u8").write_text(_playlist(4, 2, duration=1.0, ended=True), encoding="utf-8")
    pcm = np.concatenate(list(opened.chunks))
    # seg1 (1 s), 2 s of silence for seg2 and seg3, seg4 and seg5: stream time still matches the dates
    assert len(pcm) / 16_000 == pytest.approx(5.0, abs=0.1)
    assert not np.any(pcm[int(1.05 * 16_000):int(2.95 * 16_000)])
    assert np.abs(pcm[int(3.2 * 16_000):int(3.8 * 16_000)]).max() > 1000


def test_a_playlist_url_where_nothing_listens_is_retried_then_named_for_the_operator() -> None:
    url = f"http://127.0.0.1:{free_port()}/rat/index.m3u8"
    with pytest.raises(AudioError, match="did not answer within 1 s"):
        open_audio(url, options=SourceOptions(open_timeout_s=1.0))
