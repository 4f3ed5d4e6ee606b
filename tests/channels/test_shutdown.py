"""Shutdown is bounded whatever the clients do (issue 12, defect 12): a viewer that stopped reading used
to hold aiohttp's close() in its drain for as long as its socket stayed open."""

from __future__ import annotations

import asyncio
import base64
import os
import time

from aiohttp import web

from channels.broker import MemoryBroker
from channels.gateway import FANOUT, create_app
from channels.messages import SubtitleCue
from tests.channels.helpers import settings, wait_until
from tests.fixtures.services import free_port


async def stalled_viewer(port: int, stream: str) -> asyncio.StreamWriter:
    """A WebSocket client that completes the handshake and then never reads again."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws/subtitles/{stream} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
    return writer


async def test_shutdown_does_not_wait_for_viewers_that_stopped_reading() -> None:
    port = free_port()
    broker = MemoryBroker(history_size=10)
    app = create_app(
        settings(port=port, viewer_queue=100_000, ws_close_timeout_s=0.5, subtitle_replay=0), broker=broker
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    writers = [await stalled_viewer(port, "rat") for _ in range(3)]
    fanout = app[FANOUT]
    await wait_until(lambda: fanout.viewer_count() == 3)
    seq = 0
    while fanout.queued() < 30:  # until the sockets' buffers are full and frames pile up
        for _ in range(50):
            await broker.publish(
                "subtitles:rat", SubtitleCue(stream="rat", seq=seq, start=0.0, end=1.0, lines=("x" * 4000,))
            )
            seq += 1
        await asyncio.sleep(0.02)
        assert seq < 20_000, "the viewers' sockets never filled up"
    started = time.monotonic()
    await asyncio.wait_for(runner.cleanup(), 15)
    assert time.monotonic() - started < 3.0
    for writer in writers:
        writer.close()
    await broker.aclose()
