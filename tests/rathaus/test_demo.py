"""``rathaus demo run`` end to end: redis-server, ffmpeg's HLS livestream of the simulated council meeting,
the gateway that serves it, and the subtitle service that transcribes the same URL, as separate processes
that talk through Redis; a viewer gets the video and readable cues in sync with it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.fixtures.services import free_port

pytestmark = pytest.mark.slow


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


async def _watch(port: int) -> tuple[list[dict[str, object]], str]:
    """What a viewer sees: the page, the livestream, the first cues over the WebSocket (after the stream's
    start with its origin), the transcript download."""
    cues: list[dict[str, object]] = []
    started: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as http:
        page = await http.get(f"http://127.0.0.1:{port}/live/ratssitzung")
        assert page.status == 200 and "default-src 'self'" in page.headers["Content-Security-Policy"]
        config = await (await http.get(f"http://127.0.0.1:{port}/api/config")).json()
        assert config["live"]["hls_url"] == "/hls/{stream}/index.m3u8"
        playlist = await (await http.get(f"http://127.0.0.1:{port}/hls/ratssitzung/index.m3u8")).text()
        assert "#EXT-X-PROGRAM-DATE-TIME:" in playlist and "#EXT-X-ENDLIST" not in playlist  # live
        segment = playlist.strip().splitlines()[-1]
        video = await http.get(f"http://127.0.0.1:{port}/hls/ratssitzung/{segment}")
        assert video.status == 200 and video.headers["Content-Type"] == "video/mp2t"
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws/subtitles/ratssitzung") as ws:
            deadline = time.monotonic() + 180
            while len(cues) < 4 and time.monotonic() < deadline:
                frame = json.loads((await ws.receive(timeout=60)).data)
                if frame["type"] == "subtitle.cue":
                    cues.append(frame)
                elif frame["type"] == "subtitle.stream" and frame["state"] == "started":
                    started.append(frame)
        # the subtitle service read the livestream: its stream time 0 is a program date time of it
        assert started and isinstance(started[0]["origin"], float)
        assert abs(started[0]["origin"] - time.time()) < 600
        transcript = await (await http.get(f"http://127.0.0.1:{port}/live/ratssitzung/transcript.vtt")).text()
    return cues, transcript


def test_demo_streams_readable_subtitles_to_a_viewer_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    rathaus = str(Path(sys.executable).with_name("rathaus"))
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen([rathaus, "demo", "run", "--port", str(port), "--no-chat"],
                            stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 240
        while "Press Ctrl-C to stop." not in (tmp_path / "demo.log").read_text(errors="replace"):
            assert demo.poll() is None and time.monotonic() < deadline, (tmp_path / "demo.log").read_text()[-3000:]
            time.sleep(0.5)
        cues, transcript = asyncio.run(_watch(port))
        assert len(cues) >= 4, (tmp_path / "demo.log").read_text(errors="replace")[-3000:]
        for cue in cues:
            lines = cue["lines"]
            assert isinstance(lines, list) and 1 <= len(lines) <= 2
            assert all(0 < len(line) <= 37 for line in lines)
        # Whole phrases, not one word per commit: the demo's sentences average well over 15 characters.
        assert statistics.median(len(" ".join(c["lines"])) for c in cues) >= 15  # type: ignore[arg-type]
        assert transcript.startswith("WEBVTT") and "-->" in transcript
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        log.close()
    # SIGTERM stops the whole demo: its gateway (a child process) no longer listens.
    deadline = time.monotonic() + 20
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _listening(port)


def test_a_second_demo_on_the_same_port_fails_at_once_and_logs_stay_apart(tmp_path: Path) -> None:
    port = free_port()
    rathaus = str(Path(sys.executable).with_name("rathaus"))
    first_log = tmp_path / "first.log"
    with first_log.open("wb") as sink:
        first = subprocess.Popen([rathaus, "demo", "run", "--port", str(port), "--no-chat"],
                                 stdout=sink, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        # The port is held from the start, before any child process (redis, subtitles, gateway) runs ...
        deadline = time.monotonic() + 60
        while "logs of the demo's processes" not in first_log.read_text(errors="replace"):
            assert first.poll() is None and time.monotonic() < deadline, first_log.read_text(errors="replace")
            time.sleep(0.05)
        assert _listening(port)
        # ... so a second demo started meanwhile fails at once and clearly, instead of taking it over.
        second = subprocess.run([rathaus, "demo", "run", "--port", str(port), "--no-chat"],
                                capture_output=True, text=True, timeout=60, env=os.environ.copy())
        assert second.returncode == 1 and f"port {port} is already in use" in second.stdout + second.stderr
        deadline = time.monotonic() + 240
        while "Press Ctrl-C to stop." not in (text := first_log.read_text(errors="replace")):
            assert first.poll() is None and time.monotonic() < deadline, text[-3000:]
            time.sleep(0.5)
        # (waited for the last line the demo prints: the addresses above it are all written)
        # the first demo's own gateway serves its port, so the staff token it printed works there
        token = text.split("/staff?token=")[1].split()[0]
        asyncio.run(_staff_console_opens(port, token))
        folder = text.split("logs of the demo's processes: ")[1].split()[0]
        assert f"-{first.pid}" in folder and "/demo/runs/" in folder
        assert (Path(folder) / "gateway.log").exists()
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)


async def _staff_console_opens(port: int, token: str) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(f"http://127.0.0.1:{port}/ws/staff?token={token}"):
        pass  # a wrong token would have raised (HTTP 401)


async def _two_cities(port: int, tokens: dict[str, str]) -> dict[str, dict[str, object]]:
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        configs = {path: (await (await http.get(f"{base}{path}/api/config")).json())["city"]
                   for path in ("", "/beispielhausen")}
        for path, token in tokens.items():  # each city's console opens with its own token only
            for other in tokens.values():
                url = f"{base}{path}/ws/staff?token={other}"
                if other == token:
                    async with http.ws_connect(url):
                        pass
                else:
                    with pytest.raises(aiohttp.WSServerHandshakeError):
                        async with http.ws_connect(url):
                            pass
    return configs


def test_the_two_city_demo_serves_each_city_with_its_own_facts_and_staff(tmp_path: Path) -> None:
    port = free_port()
    rathaus = str(Path(sys.executable).with_name("rathaus"))
    log_path = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATHAUS_CIT")}
    with log_path.open("wb") as sink:
        demo = subprocess.Popen([rathaus, "demo", "run", "--port", str(port), "--cities", "--no-chat",
                                 "--no-subtitles"], stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while "Press Ctrl-C" not in (text := log_path.read_text(errors="replace")):
            assert demo.poll() is None and time.monotonic() < deadline, text[-3000:]
            time.sleep(0.5)
        tokens = {"": text.split(f"{port}/staff?token=")[1].split()[0],
                  "/beispielhausen": text.split("/beispielhausen/staff?token=")[1].split()[0]}
        configs = asyncio.run(_two_cities(port, tokens))
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
    assert configs[""]["name"] == "Musterstadt" and configs["/beispielhausen"]["name"] == "Beispielhausen"
    assert configs[""]["phone"] != configs["/beispielhausen"]["phone"]
