"""Automatic recordings (issue 11): when the subtitle service says a stream ended, the gateway's archiver
lists it on /aufzeichnungen/ by itself: the video remuxed from the livestream's own segments (copied while
the playlist slid past them), the published cues in video time. A recording that cannot be built leaves
nothing behind: no listed folder, no hidden one."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
from datetime import datetime
from pathlib import Path

import av
import pytest

from channels.broker import broker_from_url
from channels.messages import SubtitleCue, SubtitleStream
from common.subtitles import parse_webvtt
from tests.channels.helpers import gateway

SECONDS = 6


def _live_encoder(folder: Path) -> subprocess.Popen[bytes]:
    """ffmpeg as a city's encoder, in real time: a sliding playlist of three 1 s segments (older ones are
    deleted), with program date time; EXT-X-ENDLIST when it stops."""
    folder.mkdir(parents=True)
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10",
         "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(SECONDS),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-f", "hls", "-hls_time", "1", "-hls_list_size", "3",
         "-hls_flags", "delete_segments+program_date_time+independent_segments+temp_file",
         str(folder / "index.m3u8")],
    )


async def _first_program_date(playlist: Path) -> float:
    for _ in range(200):
        text = await asyncio.to_thread(lambda: playlist.read_text(encoding="utf-8") if playlist.exists() else "")
        if found := re.search(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", text):
            return datetime.fromisoformat(found.group(1).replace("Z", "+00:00")).timestamp()
        await asyncio.sleep(0.05)
    raise AssertionError(f"no playlist at {playlist}")


async def _until(check, within: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not (result := check()):
        assert asyncio.get_running_loop().time() < deadline, "not within time"
        await asyncio.sleep(0.1)
    return result


def _settings(tmp_path: Path) -> dict[str, object]:
    return {"archive_live": True, "recordings_dir": tmp_path / "aufzeichnungen", "hls_dir": tmp_path / "hls",
            "hls_url": "/hls/{stream}/index.m3u8", "default_stream": "rat", "archive_title": "Ratssitzung"}


async def test_a_stream_that_ends_is_listed_with_its_video_and_subtitles(tmp_path: Path) -> None:
    broker = broker_from_url("memory://")
    archive = tmp_path / "aufzeichnungen"
    async with gateway(broker=broker, **_settings(tmp_path)) as client:
        encoder = _live_encoder(tmp_path / "hls" / "rat")
        try:
            origin = await _first_program_date(tmp_path / "hls" / "rat" / "index.m3u8") + 0.3
            topic = "subtitles:rat"
            await broker.publish(topic, SubtitleStream(stream="rat", state="started", origin=origin))
            await broker.publish(topic, SubtitleCue(stream="rat", seq=0, start=0.5, end=2.0, lines=("Guten Abend.",)))
            await broker.publish(topic, SubtitleCue(stream="rat", seq=1, start=3.0, end=4.5,
                                                    lines=("Ich eröffne", "die Sitzung.")))
            assert await asyncio.to_thread(encoder.wait, 30) == 0
        finally:
            encoder.kill()
        # the playlist slid: the first segments are gone from the encoder's folder, but not from the recording
        assert not (tmp_path / "hls" / "rat" / "index0.ts").exists()
        listed = await client.get("/api/recordings")
        assert await listed.json() == []  # nothing before the end
        await broker.publish(topic, SubtitleStream(stream="rat", state="ended"))

        folders = await _until(lambda: [p for p in archive.iterdir() if not p.name.startswith(".")])
        assert len(folders) == 1
        assert re.fullmatch(r"rat-\d{4}-\d\d-\d\d-\d{4}", folders[0].name), folders
        (recording,) = await (await client.get("/api/recordings")).json()
        assert recording["title"] == "Ratssitzung"
        assert recording["description"].startswith("Automatisch aufgezeichnet am ")
        assert recording["duration_s"] == pytest.approx(SECONDS, abs=1.2)  # every second of the stream
        with av.open(str(folders[0] / "video.mp4")) as container:
            assert {s.type for s in container.streams} == {"video", "audio"}
        vtt = await (await client.get(recording["vtt"])).text()
        cues = parse_webvtt(vtt)
        # time 0 of the subtitle service was 0.3 s into the first segment, which is video time 0
        assert [(c.start, c.end, c.lines) for c in cues] == [
            (0.8, 2.3, ("Guten Abend.",)), (3.3, 4.8, ("Ich eröffne", "die Sitzung.")),
        ]
        page = await client.get(recording["page"])
        assert page.status == 200
        assert [p.name for p in archive.iterdir() if p.name.startswith(".")] == []  # no temp folder left


async def test_a_recording_that_cannot_be_built_leaves_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broker = broker_from_url("memory://")
    folder = tmp_path / "hls" / "rat"
    folder.mkdir(parents=True)
    (folder / "seg0.ts").write_bytes(b"this is not MPEG-TS" * 100)  # a broken encoder's output
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nseg0.ts\n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="channels.archiver")
    async with gateway(broker=broker, **_settings(tmp_path)) as client:
        await broker.publish("subtitles:rat", SubtitleStream(stream="rat", state="started"))
        await _until(lambda: "channels.archiver.started" in caplog.text)
        await broker.publish("subtitles:rat", SubtitleStream(stream="rat", state="error", detail="Quelle weg"))
        await _until(lambda: "channels.archiver.failed" in caplog.text)
        assert list((tmp_path / "aufzeichnungen").iterdir()) == []
        assert await (await client.get("/api/recordings")).json() == []


async def test_a_gateway_that_starts_while_a_stream_runs_records_it_with_every_cue(tmp_path: Path) -> None:
    """A restart mid-stream: the start and the first cue are only in the broker's history."""
    broker = broker_from_url("memory://")
    encoder = _live_encoder(tmp_path / "hls" / "rat")
    try:
        origin = await _first_program_date(tmp_path / "hls" / "rat" / "index.m3u8")
        topic = "subtitles:rat"
        await broker.publish(topic, SubtitleStream(stream="rat", state="started", origin=origin))
        await broker.publish(topic, SubtitleCue(stream="rat", seq=0, start=0.2, end=1.0, lines=("Guten Abend.",)))
        async with gateway(broker=broker, **_settings(tmp_path)) as client:
            await asyncio.sleep(1.5)  # the gateway is up while the stream runs
            await broker.publish(topic, SubtitleCue(stream="rat", seq=1, start=3.0, end=4.5, lines=("Willkommen.",)))
            assert await asyncio.to_thread(encoder.wait, 30) == 0
            await broker.publish(topic, SubtitleStream(stream="rat", state="ended"))
            archive = tmp_path / "aufzeichnungen"
            await _until(lambda: [p for p in archive.iterdir() if not p.name.startswith(".")])
            (recording,) = await (await client.get("/api/recordings")).json()
            cues = parse_webvtt(await (await client.get(recording["vtt"])).text())
            # the picture starts where the gateway joined; cues keep their place in it by program date time
            assert [c.lines for c in cues][-1] == ("Willkommen.",)
            assert 1.0 < recording["duration_s"] <= SECONDS + 1.2
            assert cues[-1].start == pytest.approx(3.0 - (SECONDS - recording["duration_s"]), abs=1.2)
    finally:
        encoder.kill()
