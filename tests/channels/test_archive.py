"""The archive core on playlist snapshots: each segment kept once and in order from the one that holds the
stream's time 0, lost segments counted, cues moved to video time, a German title and description."""

from __future__ import annotations

import datetime as dt

from channels.archive import ArchiveOptions, LiveRecording, vod_playlist
from common.hls import parse_playlist

URL = "http://cdn.example/rat/index.m3u8"
T0 = dt.datetime(2026, 9, 15, 17, 0, 0, tzinfo=dt.UTC).timestamp()  # 19:00 in Berlin


def _playlist(first: int, count: int, *, ended: bool = False) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
    for n in range(first, first + count):
        when = dt.datetime.fromtimestamp(T0 + 2 * n, dt.UTC).isoformat(timespec="milliseconds")
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{when}", "#EXTINF:2.000,", f"seg{n}.ts"]
    return "\n".join(lines + (["#EXT-X-ENDLIST"] if ended else [])) + "\n"


def _names(kept: list) -> list[str]:  # type: ignore[type-arg]
    return [k.segment.uri.rsplit("/", 1)[1] for k in kept]


def test_recording_starts_at_the_segment_of_time_zero_and_keeps_each_segment_once() -> None:
    # the subtitle service's time 0 lies 0.5 s into seg6 (program date T0 + 12 s)
    rec = LiveRecording("rat", started_s=T0 + 13, origin=T0 + 12.5)
    assert _names(rec.take(parse_playlist(_playlist(3, 5), URL))) == ["seg6.ts", "seg7.ts"]
    assert _names(rec.take(parse_playlist(_playlist(3, 5), URL))) == []  # nothing twice
    kept = rec.take(parse_playlist(_playlist(5, 5, ended=True), URL))
    assert _names(kept) == ["seg8.ts", "seg9.ts"]
    assert [k.name for k in rec.kept] == ["00000.ts", "00001.ts", "00002.ts", "00003.ts"]
    assert rec.lost_s == 0
    assert rec.offset() == 0.5


def test_a_playlist_that_slid_past_unread_segments_counts_what_was_lost() -> None:
    rec = LiveRecording("rat", started_s=T0, origin=None)
    assert _names(rec.take(parse_playlist(_playlist(0, 3), URL))) == ["seg2.ts"]  # no origin: the live edge
    assert _names(rec.take(parse_playlist(_playlist(6, 3), URL))) == ["seg6.ts", "seg7.ts", "seg8.ts"]
    assert rec.lost_s == 6.0  # seg3..seg5
    assert "#EXT-X-DISCONTINUITY" in vod_playlist(rec.kept)


def test_finish_moves_cues_to_video_time_and_names_the_recording() -> None:
    rec = LiveRecording("ratssitzung", started_s=T0 + 12.5, origin=T0 + 12.5,
                        options=ArchiveOptions(title="Ratssitzung {stream}"))
    assert rec.finish(ended_s=T0 + 20) is None  # nothing kept: nothing to list
    rec.take(parse_playlist(_playlist(5, 3), URL))  # seg6 (T0+12 .. T0+14) holds time 0
    rec.add_cue(3.0, 4.5, ("Zweiter Satz.",))
    rec.add_cue(0.0, 1.5, ("Guten Abend,", "ich eröffne die Sitzung."))
    finished = rec.finish(ended_s=T0 + 2 * 3600)
    assert finished is not None
    assert finished.id == "ratssitzung-2026-09-15-1900"
    assert finished.fallback_id == "ratssitzung-2026-09-15-190012"
    assert [(c.index, c.start, c.end, c.lines) for c in finished.cues] == [
        (1, 0.5, 2.0, ("Guten Abend,", "ich eröffne die Sitzung.")),
        (2, 3.5, 5.0, ("Zweiter Satz.",)),
    ]
    assert finished.info.title == "Ratssitzung ratssitzung"
    assert finished.info.date == dt.date(2026, 9, 15)
    assert finished.info.description is not None
    assert finished.info.description.startswith(
        "Automatisch aufgezeichnet am 15. September 2026 von 19:00 bis 21:00 Uhr.")
    playlist = finished.playlist.splitlines()
    assert playlist[-1] == "#EXT-X-ENDLIST" and "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
    assert [line for line in playlist if line.endswith(".ts")] == ["00000.ts", "00001.ts"]
