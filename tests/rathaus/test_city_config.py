"""``RATHAUS_CONTENT`` reaches every service: the gateway and the subtitle service started as processes,
as an operator starts them, with the content of another city (a renamed copy with its own phone)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.channels.helpers import next_frame, of_type
from tests.fixtures.asr import SpeechClip
from tests.fixtures.content import OtherCity, other_city
from tests.fixtures.services import RedisServer, free_port, wait_for_port

pytestmark = pytest.mark.slow  # the subtitle service loads the real Whisper model

_RATHAUS = [sys.executable, "-m", "rathaus.cli"]


def _environment(city: OtherCity, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATHAUS_") or k == "RATHAUS_CACHE"}
    return env | {"RATHAUS_CONTENT": str(city.root), **extra}


@contextmanager
def _service(args: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen([*_RATHAUS, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=log.parent)
    try:
        wait_for_port(port, timeout=120)
        yield process
    except TimeoutError:
        raise AssertionError(f"{args[:2]} did not start: {log.read_text(encoding='utf-8')[-2000:]}") from None
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gateway_and_subtitle_service_serve_the_city_of_rathaus_content(tmp_path: Path) -> None:
    city = other_city(tmp_path)
    gateway_port, asr_port = free_port(), free_port()
    gateway_log, asr_log = tmp_path / "gateway.log", tmp_path / "asr.log"
    token = "t" * 32
    asr_env = _environment(city, RATHAUS_ASR_INGEST_TOKEN=token)
    with (
        _service(["gateway", "serve", "--port", str(gateway_port)], _environment(city), gateway_port, gateway_log),
        _service(["asr", "serve", "--port", str(asr_port)], asr_env, asr_port, asr_log),
    ):
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/api/config", timeout=10) as response:
            config = json.load(response)
        deadline = time.monotonic() + 30
        while "asr.live.service.content" not in asr_log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.2)
    assert {k: config["city"][k] for k in ("name", "phone", "email")} == {
        "name": city.name, "phone": city.phone, "email": city.email}
    log_lines = asr_log.read_text(encoding="utf-8").splitlines()
    started = next(line for line in log_lines if "asr.live.service.content" in line)
    assert f"root={city.root}" in started
    hotwords = started.split("hotwords=", 1)[1]
    assert city.word in hotwords and city.name in hotwords
    assert "Musterstadt" not in hotwords and city.dropped_street not in hotwords
    assert token not in asr_log.read_text(encoding="utf-8")  # secrets are never logged


def test_a_bad_variable_stops_the_gateway_naming_it(tmp_path: Path) -> None:
    city = other_city(tmp_path)
    env = _environment(city, RATHAUS_SESSION_BURST="viele")
    done = subprocess.run([*_RATHAUS, "gateway", "serve", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "RATHAUS_SESSION_BURST" in done.stderr and "'viele'" in done.stderr


async def _first_cue(url: str, *, wait_s: float) -> dict[str, object] | None:
    """The first subtitle cue a viewer at ``url`` gets within ``wait_s`` (history first, then live)."""
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        try:
            return dict(await next_frame(ws, of_type("subtitle.cue"), within=wait_s))
        except TimeoutError:
            return None


def test_a_citys_subtitle_service_reaches_only_that_citys_viewers(
    tmp_path: Path, german_speech_wav: SpeechClip, redis_server: RedisServer
) -> None:
    """Two cities on one gateway and one Redis; `rathaus asr serve --city beispielhausen` subtitles the
    stream `rat` from a file: Beispielhausen's viewers get the cues, Musterstadt's stream `rat` stays empty."""
    content = Path(__file__).resolve().parents[2] / "content"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATHAUS_") or k == "RATHAUS_CACHE"}
    env |= {"RATHAUS_CITIES": f"{content / 'musterstadt'},{content / 'beispielhausen'}",
            "RATHAUS_BROKER_URL": redis_server.url}
    gateway_port, asr_port = free_port(), free_port()
    asr_args = ["asr", "serve", "--port", str(asr_port), "--city", "beispielhausen",
                "--source", f"rat={german_speech_wav.path}"]
    asr_env = env | {"RATHAUS_ASR_INGEST_TOKEN": "t" * 32}
    with (
        _service(["gateway", "serve", "--port", str(gateway_port)], env, gateway_port, tmp_path / "gateway.log"),
        _service(asr_args, asr_env, asr_port, tmp_path / "asr.log"),
    ):
        base = f"http://127.0.0.1:{gateway_port}"
        cue = asyncio.run(_first_cue(f"{base}/beispielhausen/ws/subtitles/rat", wait_s=150))
        assert cue is not None, (tmp_path / "asr.log").read_text(encoding="utf-8")[-3000:]
        assert cue["stream"] == "rat" and cue["lines"]
        assert asyncio.run(_first_cue(f"{base}/ws/subtitles/rat", wait_s=3)) is None
    started = next(line for line in (tmp_path / "asr.log").read_text(encoding="utf-8").splitlines()
                   if "asr.live.service.content" in line)
    assert "city=beispielhausen" in started and "Beispielhausen" in started.split("hotwords=", 1)[1]
